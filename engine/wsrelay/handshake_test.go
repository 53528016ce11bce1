package wsrelay_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/simphony/simphony-remote/engine/wsrelay"
)

func TestUpstreamRefuses(t *testing.T) {
	refusing := func(status int) *plainServer {
		return newPlainServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no", status)
		})
	}
	closed := newPlainServer(t, nil)
	closedAddr := closed.addr()
	closed.Close() // nothing listens there now
	slow := newPlainServer(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	tests := []struct {
		name    string
		addr    string
		timeout time.Duration
		want    int
	}{
		{"nothing listens", closedAddr, 0, http.StatusBadGateway},
		{"forbidden", refusing(http.StatusForbidden).addr(), 0, http.StatusForbidden},
		{"not found", refusing(http.StatusNotFound).addr(), 0, http.StatusNotFound},
		{"an HTTP answer", refusing(http.StatusOK).addr(), 0, http.StatusBadGateway},
		{"a redirect", refusing(http.StatusFound).addr(), 0, http.StatusBadGateway},
		{"no answer in time", slow.addr(), 200 * time.Millisecond, http.StatusBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeaks(t)
			f := newFront(t, tt.addr, func(*http.Request) wsrelay.Options {
				return wsrelay.Options{DialTimeout: tt.timeout}
			})
			_, resp, err := websocket.Dial(within(t, 10*time.Second), f.wsURL("/"), nil)
			if err == nil {
				t.Fatal("the client got a WebSocket")
			}
			if resp == nil || resp.StatusCode != tt.want {
				t.Fatalf("client got %v, %v; want HTTP %d", resp, err, tt.want)
			}
			var ue *wsrelay.UpstreamError
			if err := f.wait(t); !errors.As(err, &ue) {
				t.Errorf("Serve returned %v, want an UpstreamError", err)
			}
		})
	}
	t.Run("OnUpstreamError", func(t *testing.T) {
		noLeaks(t)
		f := newFront(t, closedAddr, func(*http.Request) wsrelay.Options {
			return wsrelay.Options{OnUpstreamError: func(w http.ResponseWriter, r *http.Request, err *wsrelay.UpstreamError) {
				http.Error(w, "session gone", http.StatusNotFound)
			}}
		})
		_, resp, err := websocket.Dial(within(t, 10*time.Second), f.wsURL("/"), nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
			t.Fatalf("client got %v, %v; want the handler's 404", resp, err)
		}
		_ = f.wait(t)
	})
}

func TestNotAWebSocket(t *testing.T) {
	noLeaks(t)
	up := newUpstream(t, nil, echo)
	f := newFront(t, up.addr(), nil)
	resp, err := http.Get(f.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("plain GET: status %d, want 400", resp.StatusCode)
	}
	if err := f.wait(t); !errors.Is(err, wsrelay.ErrNotWebSocket) {
		t.Errorf("Serve returned %v", err)
	}
	if len(up.requests) != 0 {
		t.Error("the upstream was dialled")
	}
}

func TestIsUpgrade(t *testing.T) {
	req := func(method, proto string, h map[string]string) *http.Request {
		r, _ := http.NewRequest(method, "http://example.com/", nil)
		r.Proto = proto
		r.ProtoMajor, r.ProtoMinor = 1, 1
		if proto == "HTTP/2.0" {
			r.ProtoMajor, r.ProtoMinor = 2, 0
		}
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return r
	}
	key := "dGhlIHNhbXBsZSBub25jZQ==" // RFC 6455's example: 16 bytes
	up := map[string]string{"Connection": "keep-alive, Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": key}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for k, v := range up {
			m[k] = v
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name string
		r    *http.Request
		want bool
	}{
		{"a WebSocket handshake", req("GET", "HTTP/1.1", up), true},
		{"case and lists", req("GET", "HTTP/1.1", with("Upgrade", "h2c, WebSocket")), true},
		{"Connection: UPGRADE", req("GET", "HTTP/1.1", with("Connection", "UPGRADE")), true},
		{"WebSocket version 8", req("GET", "HTTP/1.1", with("Sec-WebSocket-Version", "8")), true},
		{"no key", req("GET", "HTTP/1.1", with("Sec-WebSocket-Key", "")), true},
		{"only an Upgrade header", req("GET", "HTTP/1.1", with("Connection", "keep-alive")), true},
		{"only Connection: upgrade", req("GET", "HTTP/1.1", map[string]string{"Connection": "upgrade"}), true},
		{"another protocol", req("GET", "HTTP/1.1", with("Upgrade", "h2c")), true},
		{"POST", req("POST", "HTTP/1.1", up), true},
		{"HTTP/2 extended CONNECT", req("CONNECT", "HTTP/2.0", map[string]string{":protocol": "websocket"}), true},
		{"HTTP/3 extended CONNECT", req("CONNECT", "websocket", nil), true},
		{"plain GET", req("GET", "HTTP/1.1", nil), false},
		{"plain POST", req("POST", "HTTP/1.1", map[string]string{"Connection": "keep-alive"}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wsrelay.IsUpgrade(tt.r); got != tt.want {
				t.Errorf("IsUpgrade = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestServeRefuses checks that Serve refuses, without dialling the
// upstream, the upgrades that IsUpgrade sends it but it cannot relay.
func TestServeRefuses(t *testing.T) {
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	tests := []struct {
		name    string
		request string
		status  int
	}{
		{"WebSocket version 8", "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: " + key, http.StatusBadRequest},
		{"no key", "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13", http.StatusBadRequest},
		{"a short key", "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: c2hvcnQ=", http.StatusBadRequest},
		{"two keys", "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Key: " + key, http.StatusBadRequest},
		{"h2c", "GET / HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA", http.StatusBadRequest},
		{"POST", "POST / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\nContent-Length: 0", http.StatusBadRequest},
		{"HTTP/1.0", "GET / HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key, http.StatusBadRequest},
		{"CONNECT", "CONNECT example.com:443 HTTP/1.1", http.StatusHTTPVersionNotSupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeaks(t)
			up := newUpstream(t, nil, echo)
			f := newFront(t, up.addr(), nil)
			conn, err := net.Dial("tcp", strings.TrimPrefix(f.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tt.request+"\r\nHost: "+strings.TrimPrefix(f.URL, "http://")+"\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if err := f.wait(t); !errors.Is(err, wsrelay.ErrNotWebSocket) {
				t.Errorf("Serve returned %v", err)
			}
			if len(up.requests) != 0 {
				t.Error("the upstream was dialled")
			}
		})
	}
}

func TestCrossOrigin(t *testing.T) {
	noLeaks(t)
	up := newUpstream(t, nil, echo)
	f := newFront(t, up.addr(), func(*http.Request) wsrelay.Options {
		return wsrelay.Options{OriginPatterns: []string{"portal.example"}}
	})
	_, resp, err := websocket.Dial(within(t, 10*time.Second), f.wsURL("/"), &websocket.DialOptions{
		HTTPHeader: http.Header{"Origin": {"https://evil.example"}},
	})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin: %v, %v; want HTTP 403", resp, err)
	}
	_ = f.wait(t)
	if len(up.requests) != 0 {
		t.Error("the upstream was dialled for a refused origin")
	}
	c := f.dial(t, "/", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://portal.example"}}})
	_ = c.Close(websocket.StatusNormalClosure, "")
	_ = f.wait(t)
}
