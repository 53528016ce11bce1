package e2e

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/images"
	"github.com/simphony/simphony-remote/engine/rfb/rfbtest"
)

// rfbWatcher keeps reading a VNC connection, applying its pictures.
type rfbWatcher struct {
	c       *rfbtest.Conn
	screen  *rfbtest.Screen
	updates atomic.Int64
	err     atomic.Pointer[error]
	done    chan struct{}
}

func watchRFB(t *testing.T, c *rfbtest.Conn) *rfbWatcher {
	w := &rfbWatcher{c: c, screen: rfbtest.NewScreen(c), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			m, err := c.ReadMessage(context.Background())
			if err != nil {
				w.err.Store(&err)
				return
			}
			if u, ok := m.(*rfbtest.FramebufferUpdate); ok {
				w.screen.Apply(u)
				w.updates.Add(1)
				if err := c.RequestUpdate(true); err != nil {
					w.err.Store(&err)
					return
				}
			}
		}
	}()
	t.Cleanup(func() { _ = c.Close(); <-w.done })
	return w
}

// updated asks for a full picture and waits for it.
func (w *rfbWatcher) updated(t *testing.T, who string) {
	t.Helper()
	n := w.updates.Load()
	if err := w.c.RequestUpdate(false); err != nil {
		t.Fatalf("%s: requesting a picture: %v", who, err)
	}
	for deadline := time.Now().Add(20 * time.Second); w.updates.Load() == n; {
		if err := w.err.Load(); err != nil {
			t.Fatalf("%s's connection ended: %v", who, *err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s got no picture within 20 s", who)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestViewOnlyShareOfDesktop shares the starter desktop through the whole
// appliance: a viewer's noVNC WebSocket gets pictures but its input does
// not reach the desktop (a resize is the input whose effect everybody sees),
// a controller's does, and revoking the viewer's share closes its
// connection at once. (engine/rfb's tests show the filter stopping typing,
// clicks and pastes in the same desktop.)
func TestViewOnlyShareOfDesktop(t *testing.T) {
	requireStarters(t)
	s := appliancetest.Start(t)
	t.Cleanup(func() {
		for _, r := range s.App.Sessions().Routes().List() {
			_ = s.App.Sessions().StopAny(context.Background(), r.URLID, "test")
		}
	})
	ctx := t.Context()
	st := s.App.Store()
	if err := st.CreateApplication(ctx, accounting.Application{Image: images.Desktop}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob", "carol"} {
		hash, _ := auth.HashPassword("password-" + u)
		if err := st.CreateUser(ctx, accounting.User{Name: u, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	mapping, err := st.Grant(ctx, "alice", images.Desktop, accounting.Policy{AllowView: true})
	if err != nil {
		t.Fatal(err)
	}
	alice, bob, carol := tokenFor(t, s, "alice", "password-alice"), tokenFor(t, s, "bob", "password-bob"), tokenFor(t, s, "carol", "password-carol")
	var session wire.Container
	alice.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: mapping, Configurables: map[string]string{"resolution": "1280x800"}}, 201, &session)
	shares := "/api/v1/containers/" + session.URLID + "/shares"
	alice.json("POST", shares, wire.ShareRequest{User: "bob", Mode: "view"}, 201, nil)
	alice.json("POST", shares, wire.ShareRequest{User: "carol", Mode: "control"}, 201, nil)

	// noVNC's WebSocket, through the appliance, as each of them.
	wsURL := "wss" + strings.TrimPrefix(s.URL, "https") + session.URLPath + "websockify"
	dial := func(c caller, exclusive bool) *rfbWatcher {
		t.Helper()
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		conn, err := rfbtest.Dial(dctx, wsURL, &rfbtest.Options{
			HTTPClient: s.Client(),
			Header:     http.Header{"Authorization": {"Bearer " + c.token}, "Origin": {s.URL}},
			Exclusive:  exclusive,
		})
		if err != nil {
			t.Fatalf("%s's VNC connection: %v", c.name, err)
		}
		if err := conn.SetEncodings(rfbtest.EncodingRaw, rfbtest.EncodingDesktopSize); err != nil {
			t.Fatal(err)
		}
		return watchRFB(t, conn)
	}
	owner := dial(alice, false)
	owner.updated(t, "alice")
	// Bob asks for the desktop to himself: the proxy makes his connection
	// shared, so alice stays.
	viewer := dial(bob, true)
	viewer.updated(t, "bob")
	owner.updated(t, "alice, once bob joined")
	if w, h := owner.screen.Size(); w != 1280 || h != 800 {
		t.Fatalf("the desktop is %dx%d, want 1280x800", w, h)
	}

	// Bob's resize is dropped.
	if err := viewer.c.SetDesktopSize(1024, 768); err != nil {
		t.Fatal(err)
	}
	viewer.updated(t, "bob, after his resize")
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		owner.updated(t, "alice")
		if w, h := owner.screen.Size(); w != 1280 || h != 800 {
			t.Fatalf("bob, a viewer, resized alice's desktop to %dx%d", w, h)
		}
	}
	// Carol's goes through.
	controller := dial(carol, false)
	controller.updated(t, "carol")
	if err := controller.c.SetDesktopSize(1024, 768); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		owner.updated(t, "alice")
		if w, h := owner.screen.Size(); w == 1024 && h == 768 {
			break
		}
		if time.Now().After(deadline) {
			w, h := owner.screen.Size()
			t.Fatalf("carol's resize (control share) did not happen: %dx%d", w, h)
		}
	}

	// Revoking bob's share closes his connection, and only his.
	alice.json("DELETE", shares+"/bob", nil, 204, nil)
	select {
	case <-viewer.done:
	case <-time.After(10 * time.Second):
		t.Fatal("bob's connection stayed open after his share was revoked")
	}
	owner.updated(t, "alice, after bob was cut off")
	controller.updated(t, "carol, after bob was cut off")
	// And he cannot come back.
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := rfbtest.Dial(dctx, wsURL, &rfbtest.Options{HTTPClient: s.Client(),
		Header: http.Header{"Authorization": {"Bearer " + bob.token}, "Origin": {s.URL}}}); err == nil {
		t.Fatal("bob connected again after his share was revoked")
	}
}
