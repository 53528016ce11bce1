package rfb_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/rfb"
	"github.com/simphony/simphony-remote/engine/rfb/rfbtest"
	"github.com/simphony/simphony-remote/engine/wsrelay"
)

// Where things are on the desktop: openbox puts `xterm -geometry
// 100x30+30+30` at (30, 30), and 100×30 DejaVu Sans Mono characters make
// it far wider and taller than termX, termY; its title bar is about 905
// pixels wide, with the close button at its right end.
const (
	termX, termY   = 200, 150
	titleX, titleY = 480, 36
	closeX, closeY = 924, 39
)

// keyControl is the left Control key's keysym.
const keyControl = 0xffe3

// scene is a desktop with its owner, connected through a plain relay,
// and a viewer, connected through the view-only filter.
type scene struct {
	t                       *testing.T
	d                       *desktop
	revokeMu                sync.Mutex
	revoke                  []context.CancelCauseFunc // ends the viewer's relays
	ownerFront, viewerFront *httptest.Server
	viewerServed            chan error // what the viewer's Serve returned
	owner, viewer           *watcher
}

// newScene starts the desktop and connects the owner, then the viewer,
// which asks for the desktop to itself (shared flag 0).
func newScene(t *testing.T) *scene {
	s := &scene{t: t, d: startDesktop(t), viewerServed: make(chan error, 4)}
	s.d.ready(t)
	s.ownerFront = s.relayFront(false, make(chan error, 4))
	s.viewerFront = s.relayFront(true, s.viewerServed)
	s.owner = s.watch(s.dial(s.ownerFront, false))
	s.owner.updated(t, "the owner")
	s.viewer = s.watch(s.dial(s.viewerFront, true))
	s.viewer.updated(t, "the viewer")
	t.Cleanup(func() {
		if t.Failed() {
			s.saveScreens()
		}
	})
	return s
}

// relayFront is the proxy's part under test: it relays {base}websockify
// to the desktop with wsrelay, through the view-only filter or not.
func (s *scene) relayFront(filtered bool, served chan<- error) *httptest.Server {
	user := "alice"
	if filtered {
		user = "bob"
	}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != s.d.Base+"websockify" || !wsrelay.IsUpgrade(r) {
			http.NotFound(w, r)
			return
		}
		opts := wsrelay.Options{Header: http.Header{"X-Remote-User": {user}}}
		ctx, cancel := context.WithCancelCause(r.Context())
		defer cancel(nil)
		if filtered {
			opts.Filter = rfb.NewViewOnly()
			s.revokeMu.Lock()
			s.revoke = append(s.revoke, cancel)
			s.revokeMu.Unlock()
		}
		served <- wsrelay.Serve(ctx, w, r, s.d.Addr, opts)
	}))
	s.t.Cleanup(front.Close)
	return front
}

// revokeViewer ends the viewer's relays as the appliance does when a
// share is revoked, and returns how many.
func (s *scene) revokeViewer() int {
	s.revokeMu.Lock()
	defer s.revokeMu.Unlock()
	for _, cancel := range s.revoke {
		cancel(wsrelay.Revoked)
	}
	n := len(s.revoke)
	s.revoke = nil
	return n
}

// dial connects an RFB client through a front, asking for Raw pictures
// and size changes.
func (s *scene) dial(front *httptest.Server, exclusive bool) *rfbtest.Conn {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.t.Context(), 20*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(front.URL, "http") + s.d.Base + "websockify"
	c, err := rfbtest.Dial(ctx, url, &rfbtest.Options{Exclusive: exclusive})
	if err != nil {
		s.t.Fatal(err)
	}
	if err := c.SetEncodings(rfbtest.EncodingRaw, rfbtest.EncodingDesktopSize); err != nil {
		s.t.Fatal(err)
	}
	return c
}

// watcher reads a client's messages, keeps its screen, and asks for the
// next update after each one.
type watcher struct {
	c       *rfbtest.Conn
	screen  *rfbtest.Screen
	updates atomic.Int64
	err     atomic.Pointer[error]
	done    chan struct{}
}

func (s *scene) watch(c *rfbtest.Conn) *watcher {
	w := &watcher{c: c, screen: rfbtest.NewScreen(c), done: make(chan struct{})}
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
	s.t.Cleanup(func() { _ = c.Close(); <-w.done })
	return w
}

// alive fails the test if the watcher's connection has ended.
func (w *watcher) alive(t *testing.T, who string) {
	t.Helper()
	if err := w.err.Load(); err != nil {
		t.Fatalf("%s's connection ended: %v", who, *err)
	}
}

// updated asks for a whole picture and waits for it. The server handles
// a client's messages in order: once the picture is there, what the
// client sent before has been handled.
func (w *watcher) updated(t *testing.T, who string) {
	t.Helper()
	n := w.updates.Load()
	if err := w.c.RequestUpdate(false); err != nil {
		t.Fatalf("%s: requesting an update: %v", who, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for w.updates.Load() == n {
		w.alive(t, who)
		if time.Now().After(deadline) {
			t.Fatalf("%s got no update in 20s after asking", who)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// saveScreens keeps what the owner and the viewer saw as test artifacts
// (go test -artifacts).
func (s *scene) saveScreens() {
	for who, w := range map[string]*watcher{"owner": s.owner, "viewer": s.viewer} {
		if w == nil {
			continue
		}
		f, err := os.Create(filepath.Join(s.t.ArtifactDir(), who+".png"))
		if err != nil {
			s.t.Log(err)
			return
		}
		if err := w.screen.PNG(f); err != nil {
			s.t.Log(err)
		}
		_ = f.Close()
	}
	s.t.Logf("screens saved in %s (kept with go test -artifacts)", s.t.ArtifactDir())
}

// send fails the test if any of what a client sent failed.
func send(t *testing.T, who string, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("%s could not send: %v", who, err)
		}
	}
}

// ctrl types Control and key.
func ctrl(c *rfbtest.Conn, key string) error {
	return errors.Join(c.Key(keyControl, true), c.TypeString(key), c.Key(keyControl, false))
}

// focusTerminal has the owner give the terminal the focus and wait until
// it has it (its title bar turns blue): keys sent before the window
// manager has moved the focus would go elsewhere.
func (s *scene) focusTerminal() {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		send(s.t, "the owner", s.owner.c.Click(termX, termY))
		wait := time.Now().Add(2 * time.Second)
		for time.Now().Before(wait) {
			if c := s.owner.screen.At(titleX, titleY); int(c.B)-int(c.R) > 50 {
				return
			}
			s.owner.alive(s.t, "the owner")
			time.Sleep(20 * time.Millisecond)
		}
		if time.Now().After(deadline) {
			if !s.d.terminalRuns(s.t) {
				s.t.Fatal("the terminal is gone (did the viewer's click on its close button go through?)")
			}
			s.t.Fatal("the terminal's title bar did not show it has the focus")
		}
	}
}

// run has the owner run command in the terminal and then touch file;
// again, after Ctrl-C, if file did not appear (the shell was not ready).
func (s *scene) run(command, file string) {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		s.focusTerminal()
		send(s.t, "the owner", s.owner.c.TypeString(command+" && touch /workspace/"+file+"\n"))
		if s.d.waitFile(s.t, file, 5*time.Second) {
			return
		}
		s.owner.alive(s.t, "the owner")
		if !s.d.terminalRuns(s.t) {
			s.t.Fatal("the terminal is gone (did the viewer's click on its close button go through?)")
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the owner's command did not create %s in 60s", file)
		}
		s.t.Logf("the owner's command did not create %s in 5s: again", file)
		send(s.t, "the owner", ctrl(s.owner.c, "c"))
	}
}

// viewerFiles are the files the viewer's commands would create.
var viewerFiles = []string{"pwned", "pwned-paste", "pwned-paste2"}

// nothingFromViewer fails the test if a command of the viewer ran.
func (s *scene) nothingFromViewer() {
	s.t.Helper()
	for _, f := range viewerFiles {
		if s.d.exists(f) {
			s.t.Fatalf("the viewer's input reached the desktop: %s exists", f)
		}
	}
}

// middlePaste has the owner paste with the middle button into the
// terminal and waits for the pasted line to create file.
func (s *scene) middlePaste(file string) {
	s.t.Helper()
	send(s.t, "the owner", s.owner.c.ClickButton(termX, termY, rfbtest.ButtonMiddle))
	if !s.d.waitFile(s.t, file, 20*time.Second) {
		s.nothingFromViewer()
		s.t.Fatalf("pasting with the middle button did not run the owner's line (%s)", file)
	}
}

// waitSize waits for the owner's screen to be width × height.
func (s *scene) waitSize(width, height int) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for w, h := s.owner.screen.Size(); w != width || h != height; w, h = s.owner.screen.Size() {
		s.owner.alive(s.t, "the owner")
		if time.Now().After(deadline) {
			s.t.Fatalf("the desktop is %dx%d, not %dx%d", w, h, width, height)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
