package caddymodule

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/coder/websocket"

	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/websockets"
)

// upgradeApp is an application on the loopback that answers every
// request with its answer (a 101 with header unless status is set) and
// then echoes what it gets; it notes the requests.
type upgradeApp struct {
	addr   string
	header http.Header
	status int    // 0: 101
	first  []byte // sent in the same write as the 101

	mu       sync.Mutex
	requests []*http.Request
}

func newUpgradeApp(t *testing.T, header http.Header) *upgradeApp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	app := &upgradeApp{addr: ln.Addr().String(), header: header}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go app.serve(c)
		}
	}()
	return app
}

func (a *upgradeApp) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	a.mu.Lock()
	a.requests = append(a.requests, req)
	status, first := a.status, a.first
	a.mu.Unlock()
	if status != 0 {
		resp := &http.Response{StatusCode: status, ProtoMajor: 1, ProtoMinor: 1, Header: a.header.Clone(),
			Body: io.NopCloser(strings.NewReader("refused by the application")), ContentLength: 26}
		_ = resp.Write(c)
		return
	}
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + req.Header.Get("Upgrade") + "\r\n")
	_ = a.header.Write(&b)
	b.WriteString("\r\n")
	b.Write(first)
	if _, err := c.Write(b.Bytes()); err != nil {
		return
	}
	_, _ = io.Copy(c, br)
}

func (a *upgradeApp) lastRequest(t *testing.T) *http.Request {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.requests) == 0 {
		t.Fatal("the application got no request")
	}
	return a.requests[len(a.requests)-1]
}

// hijackRecorder is a ResponseRecorder that can be hijacked: the
// hijacked connection is one end of a pipe whose other end reads the
// answer written on it, as a client would.
type hijackRecorder struct {
	*httptest.ResponseRecorder
	client, server net.Conn
	hijacked       bool
	answer         chan *http.Response
}

func newHijackRecorder(t *testing.T) *hijackRecorder {
	c, s := net.Pipe()
	h := &hijackRecorder{ResponseRecorder: httptest.NewRecorder(), client: c, server: s, answer: make(chan *http.Response, 1)}
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			close(h.answer)
			return
		}
		h.answer <- resp
	}()
	t.Cleanup(func() { c.Close(); s.Close() })
	return h
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.hijacked = true
	return h.server, bufio.NewReadWriter(bufio.NewReader(h.server), bufio.NewWriter(h.server)), nil
}

// settle returns the status and headers the client got: those written on
// the hijacked connection, if it was, else the recorder's.
func (h *hijackRecorder) settle(t *testing.T) (int, http.Header) {
	t.Helper()
	if !h.hijacked {
		return h.Code, h.Result().Header
	}
	select {
	case resp, ok := <-h.answer:
		if !ok {
			t.Fatal("no answer on the hijacked connection")
		}
		return resp.StatusCode, resp.Header
	case <-time.After(10 * time.Second):
		t.Fatal("no answer on the hijacked connection within 10 s")
	}
	return 0, nil
}

// TestTunnelRunOverTCP copies both ways through real loopback
// connections, and checks that a half-close passes on, that both
// connections are closed at the end, and that the end is told once.
func TestTunnelRunOverTCP(t *testing.T) {
	client, server := tcpPair(t)
	appNear, appFar := tcpPair(t)
	tn := &tunnel{client: &streamConn{Conn: server}, up: appNear}
	ended := make(chan struct{}, 2)
	go tn.run(func() { ended <- struct{}{} })

	up := make([]byte, 200<<10)
	down := make([]byte, 300<<10)
	_, _ = rand.Read(up)
	_, _ = rand.Read(down)
	go func() {
		_, _ = client.Write(up)
		_ = client.(*net.TCPConn).CloseWrite()
	}()
	go func() {
		_, _ = appFar.Write(down)
		_ = appFar.(*net.TCPConn).CloseWrite()
	}()
	gotUp, err := io.ReadAll(appFar)
	if err != nil {
		t.Fatal(err)
	}
	gotDown, err := io.ReadAll(client)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotUp, up) || !bytes.Equal(gotDown, down) {
		t.Fatalf("copied %d up and %d down, want %d and %d, identical", len(gotUp), len(gotDown), len(up), len(down))
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the tunnel did not end after both sides ended")
	}
	if _, err := server.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("writing to the client's connection after the end: %v, want it closed", err)
	}
	if _, err := appNear.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("writing to the application's connection after the end: %v, want it closed", err)
	}
	select {
	case <-ended:
		t.Error("the end was told twice")
	case <-time.After(50 * time.Millisecond):
	}
}

// TestWaitReadable: the application's side waits for bytes without
// reading them, and wakes at its end too.
func TestWaitReadable(t *testing.T) {
	near, far := tcpPair(t)
	tn := &tunnel{up: near}
	woke := make(chan error, 1)
	go func() { woke <- tn.waitReadable() }()
	select {
	case err := <-woke:
		t.Fatalf("waitReadable returned (%v) with nothing to read", err)
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := far.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-woke:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("waitReadable did not wake when bytes came")
	}
	buf := make([]byte, 16)
	if n, err := near.Read(buf); err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read %q, %v after waiting; want hello, unconsumed", buf[:n], err)
	}
	go func() { woke <- tn.waitReadable() }()
	_ = far.(*net.TCPConn).CloseWrite()
	select {
	case err := <-woke:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("waitReadable did not wake at the end")
	}
	if _, err := near.Read(buf); err != io.EOF {
		t.Fatalf("read after the end: %v, want EOF", err)
	}
}

// tunnelServer serves h over TLS on the loopback, as Caddy does.
func tunnelServer(t *testing.T, h *Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{}))
		if err := h.ServeHTTP(w, r, nil); err != nil {
			t.Errorf("ServeHTTP: %v", err)
		}
	}))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// TestTunnelCarriesAWebSocket: the owner's WebSocket reaches a real
// application through the tunnel over TLS: with the identity and
// forwarding headers and without the appliance's cookies, the
// application's subprotocol and first message (sent with its 101), the
// session's answer rules on the 101, echoes both ways as activity on the
// session; then the engine closes it with a reason, and the tunnel ends.
func TestTunnelCarriesAWebSocket(t *testing.T) {
	app := newUpgradeApp(t, http.Header{
		"Sec-Websocket-Accept":      {"placeholder"},
		"Sec-Websocket-Protocol":    {"binary"},
		"Set-Cookie":                {"__Host-simphony-session=evil; Path=/; Secure", "app=kept; Path=/"},
		"Strict-Transport-Security": {"max-age=0"},
	})
	app.first = []byte{0x82, 3, 'R', 'F', 'B'} // a binary frame: the application speaks first
	table := routes.New()
	started := time.Now().Add(-time.Hour)
	table.Put(routes.Route{URLID: urlID, User: "alice", Upstream: app.addr, Started: started})
	route, _ := table.Get(urlID)
	b := &fakeBackend{routes: map[string]routes.Route{urlID: route}, user: "alice"}
	srv := tunnelServer(t, &Handler{b: b, forward: forward})

	// coder/websocket checks Sec-WebSocket-Accept: the raw handshake
	// instead, to see what the application's odd one became.
	conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	path := "/user/alice/containers/" + urlID + "/websockify?token=x"
	_, err = io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: appliance.test\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: binary, base64\r\n"+
		"Cookie: "+"__Host-simphony-session=secret; theme=dark\r\nX-Forwarded-For: 6.6.6.6\r\nKeep-Alive: 300\r\nOrigin: https://appliance.test\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Upgrade") != "websocket" || resp.Header.Get("Sec-WebSocket-Protocol") != "binary" {
		t.Fatalf("answer %s %v, want 101 to websocket with the binary subprotocol", resp.Status, resp.Header)
	}
	if got := resp.Header.Values("Set-Cookie"); len(got) != 1 || got[0] != "app=kept; Path=/" {
		t.Errorf("Set-Cookie on the 101: %q, want the application's own only", got)
	}
	if resp.Header.Get("Strict-Transport-Security") != hsts || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'self'") {
		t.Errorf("the 101's headers did not follow the session's answer rules: %v", resp.Header)
	}
	got := app.lastRequest(t)
	if got.RequestURI != path || got.Host != "appliance.test" {
		t.Errorf("the application was asked for %s on %s, want %s on appliance.test", got.RequestURI, got.Host, path)
	}
	for k, want := range map[string]string{
		"Cookie": "theme=dark", "X-Remote-User": "alice", "X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "https",
		"X-Forwarded-Host": "appliance.test", "Connection": "Upgrade", "Upgrade": "websocket", "Keep-Alive": "",
		"Sec-Websocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-Websocket-Protocol": "binary, base64", "User-Agent": "", "Via": "1.1 Caddy",
	} {
		if v := strings.Join(got.Header.Values(k), ", "); v != want {
			t.Errorf("the application got %s: %q, want %q", k, v, want)
		}
	}

	first := make([]byte, 5)
	if _, err := io.ReadFull(br, first); err != nil || !bytes.Equal(first, app.first) {
		t.Fatalf("the application's first frame: %q, %v", first, err)
	}
	// A masked text frame "ping" from the client; the application echoes
	// it unmasked as it came (it is a byte echo).
	frame := []byte{0x81, 0x84, 1, 2, 3, 4, 'p' ^ 1, 'i' ^ 2, 'n' ^ 3, 'g' ^ 4}
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	echo := make([]byte, len(frame))
	if _, err := io.ReadFull(br, echo); err != nil || !bytes.Equal(echo, frame) {
		t.Fatalf("echo %x, %v; want %x", echo, err, frame)
	}
	if r, _ := table.Get(urlID); !r.LastActive().After(started) {
		t.Error("the WebSocket's traffic was not activity on the session")
	}
	waitUntil(t, "the 101 is counted", func() bool { return len(b.observedStatuses()) == 1 })
	if got, admitted := b.observedStatuses(), b.admitted(); got[0] != http.StatusSwitchingProtocols || len(admitted) != 1 {
		t.Fatalf("observed %v with %d WebSockets admitted, want [101] and 1", got, len(admitted))
	}

	// The engine closes it (a sign-out): the client gets the reason.
	b.admitted()[0].Close(websockets.SignedOut)
	rest, _ := io.ReadAll(br)
	if want := websockets.CloseFrame(websockets.SignedOut); !bytes.Equal(rest, want) {
		t.Errorf("after the close, the client got %x, want the close frame %x", rest, want)
	}
	waitUntil(t, "the tunnel's end is told", func() bool { return b.ended.Load() == 1 })
}

// TestTunnelPassesOtherAnswers: an application that does not switch
// protocols gets its answer to the client as an HTTP answer, and the
// WebSocket's admission ends.
func TestTunnelPassesOtherAnswers(t *testing.T) {
	app := newUpgradeApp(t, http.Header{"Content-Type": {"text/plain"}, "Set-Cookie": {"__Host-simphony-session=evil; Path=/; Secure"}})
	app.status = http.StatusForbidden
	b := &fakeBackend{routes: map[string]routes.Route{urlID: {URLID: urlID, User: "alice", Upstream: app.addr}}, user: "alice"}
	srv := tunnelServer(t, &Handler{b: b, forward: forward})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, "wss://"+srv.Listener.Addr().String()+"/user/alice/containers/"+urlID+"/ws",
		&websocket.DialOptions{HTTPClient: srv.Client()})
	if err == nil || resp == nil {
		t.Fatalf("dial: %v, want the application's refusal", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden || string(body) != "refused by the application" || resp.Header.Get("Set-Cookie") != "" {
		t.Errorf("answer %d %q %v, want the application's 403 without its cookie", resp.StatusCode, body, resp.Header)
	}
	waitUntil(t, "the admission ends", func() bool { return b.ended.Load() == 1 })
	waitUntil(t, "the 403 is counted", func() bool { return len(b.observedStatuses()) == 1 })
	if got := b.observedStatuses(); got[0] != http.StatusForbidden {
		t.Errorf("observed %v, want [403]", got)
	}
}

// TestTunnelEchoesThroughCoderWebsocket: a real WebSocket client and
// server, large messages both ways, then the client's close ends the
// tunnel.
func TestTunnelEchoesThroughCoderWebsocket(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(-1)
		for {
			typ, msg, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, msg); err != nil {
				return
			}
		}
	}))
	defer echo.Close()
	b := &fakeBackend{routes: map[string]routes.Route{urlID: {URLID: urlID, User: "alice", Upstream: echo.Listener.Addr().String()}}, user: "alice"}
	srv := tunnelServer(t, &Handler{b: b, forward: forward})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "wss://"+srv.Listener.Addr().String()+"/user/alice/containers/"+urlID+"/ws",
		&websocket.DialOptions{HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(-1)
	for _, size := range []int{1, 1000, 70 << 10, 1 << 20} {
		msg := make([]byte, size)
		_, _ = rand.Read(msg)
		if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.Read(ctx)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("echo of %d bytes: %d bytes, %v", size, len(got), err)
		}
	}
	if err := c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatalf("closing: %v", err)
	}
	waitUntil(t, "the tunnel ends", func() bool { return b.ended.Load() == 1 })
}

// TestTunnelClientLeavesDuringHandshake: a client that goes away while
// the application has not answered its handshake ends the wait at once,
// not after tunnelAnswerTimeout, and the WebSocket's admission ends.
func TestTunnelClientLeavesDuringHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() { // an application that never answers
		if c, err := ln.Accept(); err == nil {
			accepted <- c
		}
	}()
	b := &fakeBackend{routes: map[string]routes.Route{urlID: {URLID: urlID, User: "alice", Upstream: ln.Addr().String()}}, user: "alice"}
	srv := tunnelServer(t, &Handler{b: b, forward: forward})
	conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.WriteString(conn, "GET /user/alice/containers/"+urlID+"/ws HTTP/1.1\r\nHost: appliance.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	var app net.Conn
	select {
	case app = <-accepted:
		defer app.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("the handshake did not reach the application")
	}
	conn.Close()
	// waitUntil gives up after 10 s, well before tunnelAnswerTimeout (30 s).
	waitUntil(t, "the wait for the application's answer ends when the client leaves", func() bool { return b.ended.Load() == 1 })
	if got := b.observedStatuses(); len(got) != 1 || got[0] != statusClientGone {
		t.Errorf("observed %v, want [%d]", got, statusClientGone)
	}
}
