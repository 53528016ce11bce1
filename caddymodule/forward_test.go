package caddymodule

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/routes"
)

// TestForwardStreams: an answer of unknown length (progress, a long poll,
// an event stream) reaches the client as the application writes it, not
// when it ends.
func TestForwardStreams(t *testing.T) {
	release := make(chan struct{})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("first\n"))
		http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
		_, _ = w.Write([]byte("second\n"))
	}))
	defer app.Close()
	defer close(release)
	b := &fakeBackend{routes: map[string]routes.Route{urlID: {URLID: urlID, User: "alice", Upstream: app.Listener.Addr().String()}}, user: "alice"}
	srv := tunnelServer(t, &Handler{b: b, forward: forward})
	client := srv.Client()
	client.Timeout = 10 * time.Second
	resp, err := client.Get(srv.URL + "/user/alice/containers/" + urlID + "/progress")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("read %q, %v before the application went on; want its first line", line, err)
	}
}

// TestForwardUnreachable: a session that does not answer is the engine's
// to explain (Unreachable), counted as a 502.
func TestForwardUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more
	b := &fakeBackend{routes: map[string]routes.Route{urlID: {URLID: urlID, User: "alice", Upstream: addr}}, user: "alice"}
	srv := tunnelServer(t, &Handler{b: b, forward: forward})
	resp, err := srv.Client().Get(srv.URL + "/user/alice/containers/" + urlID + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Observe comes after the answer; reading it orders what came before.
	waitUntil(t, "the answer is counted", func() bool { return len(b.observedStatuses()) == 1 })
	if resp.StatusCode != http.StatusBadGateway || !b.unreachable {
		t.Errorf("status %d, Unreachable called: %v; want 502 through Unreachable", resp.StatusCode, b.unreachable)
	}
	if got := b.observedStatuses(); got[0] != http.StatusBadGateway {
		t.Errorf("observed %v, want [502]", got)
	}
}
