package websockets

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestCloseFrame(t *testing.T) {
	f := CloseFrame(Reason{1008, "signed out"})
	if string(f) != "\x88\x0c\x03\xf0signed out" {
		t.Errorf("frame %q", f)
	}
	if long := CloseFrame(Reason{1013, strings.Repeat("x", 300)}); len(long) != 2+125 || long[1] != 125 {
		t.Errorf("a long reason makes a frame of %d bytes, length byte %d", len(long), long[1])
	}
}

// TestRefuse: a refused handshake is accepted and closed at once with the
// code and reason, also when the client offers subprotocols (a browser
// would fail a handshake that picks none); anything else gets plain HTTP.
func TestRefuse(t *testing.T) {
	why := Reason{1008, "too many WebSockets: at most 2 per user"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { Refuse(w, r, why) }))
	defer srv.Close()
	for _, protocols := range [][]string{nil, {"binary", "base64"}} {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{Subprotocols: protocols})
		if err != nil {
			cancel()
			t.Fatalf("handshake with subprotocols %v: %v", protocols, err)
		}
		if len(protocols) > 0 && c.Subprotocol() != protocols[0] {
			t.Errorf("subprotocol %q, want %q", c.Subprotocol(), protocols[0])
		}
		_, _, err = c.Read(ctx)
		cancel()
		var ce websocket.CloseError
		if !errors.As(err, &ce) || int(ce.Code) != why.Code || ce.Reason != why.Text {
			t.Errorf("closed with %v, want %d %q", err, why.Code, why.Text)
		}
	}
	for _, tt := range []struct {
		why  Reason
		want int
	}{{why, http.StatusTooManyRequests}, {Reason{1013, "try later"}, http.StatusServiceUnavailable}} {
		w := httptest.NewRecorder()
		Refuse(w, httptest.NewRequest("GET", "/", nil), tt.why)
		if w.Code != tt.want || !strings.Contains(w.Body.String(), tt.why.Text) {
			t.Errorf("a plain request: %d %q, want %d with the reason", w.Code, w.Body, tt.want)
		}
	}
}

// TestTunnel: closing writes a close frame and closes the connection,
// whether it was attached before or after.
func TestTunnel(t *testing.T) {
	for _, attachFirst := range []bool{true, false} {
		server, client := net.Pipe()
		tun := &Tunnel{}
		if attachFirst {
			tun.Attach(server)
		}
		tun.Close(SignedOut)
		tun.Close(UserRevoked) // once only
		if !attachFirst {
			tun.Attach(server)
		}
		_ = client.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, err := io.ReadAll(client)
		if err != nil || string(got) != string(CloseFrame(SignedOut)) {
			t.Errorf("attach first %v: read %q, %v; want the close frame, then the end", attachFirst, got, err)
		}
	}
}
