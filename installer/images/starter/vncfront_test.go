package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// novncDir is a stand-in for /opt/novnc.
func novncDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "vnc.html"), `<html><head><title>noVNC</title><script type="module" crossorigin="anonymous" src="app/ui.js"></script></head></html>`)
	write(t, filepath.Join(dir, "app", "ui.js"), "// ui")
	return dir
}

// listenTCP starts a TCP server on a free port running handle for each
// connection.
func listenTCP(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	return ln.Addr().String()
}

// closedAddr is a local address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func TestVNCFrontPages(t *testing.T) {
	vnc := listenTCP(t, func(c net.Conn) { _ = c.Close() })
	f := newVNCFront(testBase, vnc, novncDir(t))
	const wsPath = "user/alice/containers/0123456789abcdef0123456789abcdef/websockify"
	tests := []struct {
		name, method, path string
		status             int
		location, body     string
	}{
		{"redirect", "GET", testBase, 302, testBase + "vnc.html?autoconnect=1&reconnect=1&resize=remote&path=" + wsPath, ""},
		{"redirect keeps the query", "GET", testBase + "?view_only=1", 302, testBase + "vnc.html?autoconnect=1&reconnect=1&resize=remote&path=" + wsPath + "&view_only=1", ""},
		{"the request's settings win", "GET", testBase + "?resize=scale&view_only=1", 302, testBase + "vnc.html?autoconnect=1&reconnect=1&path=" + wsPath + "&resize=scale&view_only=1", ""},
		{"base without slash", "GET", strings.TrimSuffix(testBase, "/"), 302, testBase, ""},
		{"vnc.html tells its frame its state", "GET", testBase + "vnc.html", 200, "", `<html><head><title>noVNC</title><script type="module" crossorigin="anonymous" src="app/ui.js"></script><script src="simphony-remote-state.js"></script></head></html>`},
		{"the state script", "GET", testBase + "simphony-remote-state.js", 200, "", string(stateScript)},
		{"nested file", "GET", testBase + "app/ui.js", 200, "", "// ui"},
		{"missing file", "GET", testBase + "app/nope.js", 404, "", ""},
		{"no listing", "GET", testBase + "app/", 404, "", ""},
		{"no escape", "GET", testBase + "../../../../etc/passwd", 404, "", ""},
		{"outside the base", "GET", "/user/bob/containers/x/vnc.html", 404, "", ""},
		{"POST", "POST", testBase + "vnc.html", 405, "", ""},
		{"websockify without upgrade", "GET", testBase + "websockify", 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(f, tt.method, tt.path, nil, "")
			if w.Code != tt.status {
				t.Fatalf("%s %s: status %d, want %d; body %s", tt.method, tt.path, w.Code, tt.status, w.Body)
			}
			if got := w.Header().Get("Location"); got != tt.location {
				t.Errorf("Location %q, want %q", got, tt.location)
			}
			if tt.body != "" && w.Body.String() != tt.body {
				t.Errorf("body %q, want %q", w.Body, tt.body)
			}
		})
	}
}

func TestVNCFrontReadiness(t *testing.T) {
	addr := closedAddr(t)
	f := newVNCFront(testBase, addr, novncDir(t))
	w := do(f, "GET", testBase, nil, "")
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "desktop starting") {
		t.Fatalf("before the VNC server: %d %q, want 503 desktop starting", w.Code, w.Body)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	if w := do(f, "GET", testBase, nil, ""); w.Code != http.StatusFound {
		t.Fatalf("with the VNC server: %d %q, want 302", w.Code, w.Body)
	}
}

func TestVNCFrontBridge(t *testing.T) {
	echo := listenTCP(t, func(c net.Conn) { _, _ = io.Copy(c, c); _ = c.Close() })
	banner := listenTCP(t, func(c net.Conn) { _, _ = c.Write([]byte("RFB 003.008\n")); _ = c.Close() })
	start := func(t *testing.T, vnc string) string {
		srv := httptest.NewServer(logRequests(methods(newVNCFront(testBase, vnc, novncDir(t)))))
		t.Cleanup(srv.Close)
		return "ws://" + srv.Listener.Addr().String() + testBase + "websockify"
	}
	dial := func(t *testing.T, url string) (*websocket.Conn, context.Context) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		t.Cleanup(cancel)
		c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"binary"}})
		if err != nil {
			t.Fatalf("dialing %s: %v", url, err)
		}
		t.Cleanup(func() { _ = c.CloseNow() })
		if resp.StatusCode != http.StatusSwitchingProtocols || c.Subprotocol() != "binary" {
			t.Fatalf("status %d, subprotocol %q; want 101, binary", resp.StatusCode, c.Subprotocol())
		}
		return c, ctx
	}

	t.Run("round trip", func(t *testing.T) {
		c, ctx := dial(t, start(t, echo))
		for _, msg := range []string{"hello", strings.Repeat("x", 100000)} {
			if err := c.Write(ctx, websocket.MessageBinary, []byte(msg)); err != nil {
				t.Fatal(err)
			}
			var got []byte
			for len(got) < len(msg) {
				typ, data, err := c.Read(ctx)
				if err != nil {
					t.Fatalf("reading the echo: %v", err)
				}
				if typ != websocket.MessageBinary {
					t.Fatalf("message type %v, want binary", typ)
				}
				got = append(got, data...)
			}
			if string(got) != msg {
				t.Fatalf("echo of %d bytes differs", len(msg))
			}
		}
	})

	t.Run("the VNC side ends", func(t *testing.T) {
		c, ctx := dial(t, start(t, banner))
		c.SetReadLimit(-1)
		_, data, err := c.Read(ctx)
		if err != nil || string(data) != "RFB 003.008\n" {
			t.Fatalf("banner %q, %v", data, err)
		}
		if _, _, err := c.Read(ctx); err == nil || ctx.Err() != nil {
			t.Fatalf("after the VNC server closed: %v (context %v), want the WebSocket closed", err, ctx.Err())
		}
	})

	t.Run("the browser side ends", func(t *testing.T) {
		closed := make(chan struct{})
		vnc := listenTCP(t, func(c net.Conn) {
			_, _ = io.Copy(io.Discard, c) // returns when the bridge closes it
			close(closed)
		})
		c, _ := dial(t, start(t, vnc))
		_ = c.Close(websocket.StatusNormalClosure, "bye")
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatal("the TCP connection stayed open after the WebSocket closed")
		}
	})

	t.Run("no VNC server", func(t *testing.T) {
		url := start(t, closedAddr(t))
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		_, resp, err := websocket.Dial(ctx, url, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("got %v, %v; want a 502", resp, err)
		}
	})
}

func TestVNCFrontNeedsNoVNC(t *testing.T) {
	env := map[string]string{envBaseURL: "/user/alice", envURLID: "abc"}
	err := runVNCFront(t.Context(), []string{"-novnc", t.TempDir(), "-listen", "127.0.0.1:0"}, func(k string) string { return env[k] }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no noVNC") {
		t.Fatalf("got %v, want no noVNC", err)
	}
}
