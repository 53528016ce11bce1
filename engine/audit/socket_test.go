package audit_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/simphony/simphony-remote/engine/audit"
)

// TestSocketActor serves on a real unix socket and checks that a request
// from this process is attributed to its uid.
func TestSocketActor(t *testing.T) {
	dir, err := os.MkdirTemp("", "sraudit") // t.TempDir may be too long for a socket path
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	path := filepath.Join(dir, "admin.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	type seen struct {
		actor audit.Actor
		peer  audit.Peer
		ok    bool
	}
	got := make(chan seen, 1)
	srv := &http.Server{
		ConnContext: audit.ConnContext,
		Handler: audit.SocketActor(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a, _ := audit.ActorFrom(r.Context())
			p, ok := audit.PeerFrom(r.Context())
			got <- seen{a, p, ok}
		})),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})

	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get("http://admin.sock/")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s := <-got

	uid := strconv.Itoa(os.Getuid())
	want := "socket uid " + uid
	if u, err := user.LookupId(uid); err == nil && u.Username != "" {
		want += " (" + u.Username + ")"
	}
	if s.actor != (audit.Actor{Name: want, Address: "admin.sock"}) {
		t.Errorf("actor %+v, want %q at admin.sock", s.actor, want)
	}
	if !s.ok || int(s.peer.UID) != os.Getuid() || int(s.peer.GID) != os.Getgid() || int(s.peer.PID) != os.Getpid() {
		t.Errorf("peer %+v (%v), want uid %d gid %d pid %d", s.peer, s.ok, os.Getuid(), os.Getgid(), os.Getpid())
	}
}

// TestSocketActorWithoutCredentials: without ConnContext (or on a TCP
// connection) the request still gets an actor, marked unknown.
func TestSocketActorWithoutCredentials(t *testing.T) {
	var a audit.Actor
	h := audit.SocketActor(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		a, _ = audit.ActorFrom(r.Context())
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if a != (audit.Actor{Name: "socket (unknown peer)", Address: "admin.sock"}) {
		t.Errorf("actor %+v", a)
	}
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	if ctx := audit.ConnContext(t.Context(), c1); ctx != t.Context() {
		t.Error("ConnContext changed the context of a connection that is not a unix socket")
	}
}
