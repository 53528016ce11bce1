package caddymodule

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/routes"
)

// A session's WebSocket (or any protocol an owner's request upgrades to)
// spends most of its life idle: a desktop nobody touches, a notebook
// between two cells. A lab holds thousands of them, so the module carries
// them itself, once authorised, at the least cost per idle connection:
//
//   - the handler that admitted it returns, and with it net/http's
//     goroutine for the connection, its request and its context (Caddy's
//     reverse_proxy kept them parked for the connection's whole life);
//   - one goroutine per direction remains. The application's side waits
//     for bytes to arrive without any buffer (waitReadable), the client's
//     (TLS, which reads a whole record before returning a byte) on a small
//     one, and a burst borrows a large buffer from a pool, returned as soon
//     as a read comes back short;
//   - what the application sends is followed frame by frame (streamConn),
//     so that the engine can close the WebSocket with a close frame and
//     a reason (a sign-out, a deleted token, the session's end), and
//     traffic either way is activity on the session.

// Bounds of a tunnel's setup.
const (
	tunnelDialTimeout = 3 * time.Second
	// tunnelAnswerTimeout bounds the application's answer to the
	// handshake.
	tunnelAnswerTimeout = 30 * time.Second
	// tunnelWriteTimeout bounds writing the 101 and what came with it to
	// the client.
	tunnelWriteTimeout = 10 * time.Second
)

// answerReaders read the application's answer to a handshake; the reader
// is returned once the answer is read (what came after it is passed on).
var answerReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4<<10) }}

// tunnel carries the owner's upgrade request r to the session: it opens
// the application's connection, passes the handshake on, and on a 101
// hijacks the client's connection and copies both ways in goroutines of
// its own; it returns without waiting for them. Any other answer is
// passed on as an HTTP answer. w is Caddy's response writer, rec the same
// with the session's answer rules (statusRecorder).
func (h *Handler) tunnel(w http.ResponseWriter, rec *statusRecorder, r *http.Request, id auth.Identity, route routes.Route) {
	if r.ProtoMajor != 1 || r.Method == http.MethodConnect {
		h.b.Refuse(w, r, http.StatusHTTPVersionNotSupported, "a session's WebSockets and upgrades are carried over HTTP/1.1 only")
		h.b.Observe(http.StatusHTTPVersionNotSupported)
		return
	}
	attach, done, ok := h.b.OpenWebSocket(w, r, id, route)
	if !ok { // the engine has answered (over a cap, signed out)
		h.b.Observe(http.StatusSwitchingProtocols)
		return
	}
	t, status := h.open(w, rec, r, route)
	h.b.Observe(status)
	if t == nil {
		done()
		return
	}
	attach(t.client)
	go t.run(done)
}

// open dials the session, passes the handshake on and, on a 101, hijacks
// the client's connection and returns the tunnel ready to run; otherwise
// it has answered the client and returns nil. status is the answer's.
func (h *Handler) open(w http.ResponseWriter, rec *statusRecorder, r *http.Request, route routes.Route) (*tunnel, int) {
	// gone: the client left, so a failure below is its leaving (the dial
	// or the wait cut short), not the application's.
	gone := func() bool { return r.Context().Err() != nil }
	d := net.Dialer{Timeout: tunnelDialTimeout, KeepAlive: 30 * time.Second}
	up, err := d.DialContext(r.Context(), "tcp", route.Upstream)
	if err != nil {
		if gone() {
			return nil, statusClientGone
		}
		h.b.Unreachable(w, r, route)
		return nil, http.StatusBadGateway
	}
	handed := false
	defer func() {
		if !handed {
			up.Close()
		}
	}()
	_ = up.SetDeadline(time.Now().Add(tunnelAnswerTimeout))
	// A client that goes away ends the wait for the application's answer
	// at once (until the hijack, net/http watches the client's side).
	stop := context.AfterFunc(r.Context(), func() { _ = up.SetDeadline(time.Now()) })
	defer stop()
	out := upgradeRequest(r)
	if err := out.Write(up); err != nil {
		if gone() {
			return nil, statusClientGone
		}
		h.b.Unreachable(w, r, route)
		return nil, http.StatusBadGateway
	}
	br := answerReaders.Get().(*bufio.Reader)
	br.Reset(up)
	defer func() {
		br.Reset(nil)
		answerReaders.Put(br)
	}()
	resp, err := http.ReadResponse(br, out)
	if err != nil {
		if gone() {
			return nil, statusClientGone
		}
		h.b.Unreachable(w, r, route)
		return nil, http.StatusBadGateway
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		passAnswer(rec, resp)
		return nil, resp.StatusCode
	}
	if want, got := upgradeType(r.Header), upgradeType(resp.Header); !strings.EqualFold(want, got) {
		h.b.Refuse(w, r, http.StatusBadGateway, "the application answered the upgrade to "+want+" with one to "+got)
		return nil, http.StatusBadGateway
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		h.b.Refuse(w, r, http.StatusInternalServerError, "the connection cannot be taken over for the WebSocket")
		return nil, http.StatusInternalServerError
	}
	client := &streamConn{Conn: conn, route: route}
	t := &tunnel{client: client, up: up}
	if err := t.start(rec, resp.Header, br, brw.Reader); err != nil {
		conn.Close()
		return nil, http.StatusSwitchingProtocols
	}
	handed = true
	return t, http.StatusSwitchingProtocols
}

// upgradeRequest is the handshake sent to the application: r's method,
// path, Host and headers (scrubbed already), without the hop-by-hop
// headers but the upgrade's, and with X-Forwarded-For, -Host and -Proto,
// and Via.
func upgradeRequest(r *http.Request) *http.Request {
	out := &http.Request{
		Method:     r.Method,
		URL:        &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     r.Header.Clone(),
		Host:       r.Host,
	}
	upgrade := upgradeType(r.Header)
	removeHopByHop(out.Header)
	out.Header.Set("Connection", "Upgrade")
	out.Header.Set("Upgrade", upgrade)
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header["User-Agent"] = []string{""} // not Go's own
	}
	(&httputil.ProxyRequest{In: r, Out: out}).SetXForwarded()
	setVia(out.Header, r)
	return out
}

// hopByHop are the headers of one connection (RFC 9110, 7.6.1).
var hopByHop = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// removeHopByHop removes the hop-by-hop headers from h, and those that
// its Connection header names.
func removeHopByHop(h http.Header) {
	for _, v := range h.Values("Connection") {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				delete(h, http.CanonicalHeaderKey(name))
			}
		}
	}
	for _, k := range hopByHop {
		delete(h, k)
	}
}

// upgradeType is the protocol a message's Upgrade header names, if its
// Connection header says upgrade.
func upgradeType(h http.Header) string {
	for _, v := range h.Values("Connection") {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), "upgrade") {
				return h.Get("Upgrade")
			}
		}
	}
	return ""
}

// passAnswer passes on an application's answer to a handshake that it
// did not accept (an error, a redirect to sign in).
func passAnswer(rec *statusRecorder, resp *http.Response) {
	removeHopByHop(resp.Header)
	for k, v := range resp.Header {
		rec.Header()[k] = v
	}
	rec.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(rec, resp.Body)
}

// tunnel is an upgraded connection between a client and its session.
type tunnel struct {
	client *streamConn // the client's connection, hijacked
	up     net.Conn    // the application's
	// open counts the directions still copying; the last one to end
	// closes both connections.
	open atomic.Int32
	peek [1]byte // waitReadable's
}

// start writes the application's 101 to the client, with the session's
// answer rules, then what either side sent past its handshake: app, the
// application's bytes read with its answer, and client, the client's
// read with its request.
func (t *tunnel) start(rec *statusRecorder, header http.Header, app, client *bufio.Reader) error {
	_ = t.up.SetDeadline(time.Time{})
	_ = t.client.SetDeadline(time.Now().Add(tunnelWriteTimeout))
	upgrade := header.Get("Upgrade")
	removeHopByHop(header)
	rec.answerRules(header)
	var b strings.Builder
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ")
	b.WriteString(upgrade)
	b.WriteString("\r\n")
	for k, vs := range header {
		if strings.HasPrefix(k, "Sec-Websocket-") { // as RFC 6455 spells them
			k = "Sec-WebSocket-" + k[len("Sec-Websocket-"):]
		}
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n") // ReadResponse left no CR or LF in v
		}
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(t.client.Conn, b.String()); err != nil {
		return err
	}
	if n := app.Buffered(); n > 0 {
		p, _ := app.Peek(n)
		if _, err := t.client.writeFrames(p); err != nil {
			return err
		}
	}
	_ = t.client.SetDeadline(time.Time{})
	if n := client.Buffered(); n > 0 {
		p, _ := client.Peek(n)
		if _, err := t.up.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// run copies both ways until both directions have ended (a clean end of
// one is passed on as a half-close, as reverse proxies do) or either
// fails, then closes both connections and calls done.
func (t *tunnel) run(done func()) {
	t.open.Store(2)
	finish := func(err error) {
		if err != nil {
			t.close()
		}
		if t.open.Add(-1) == 0 {
			t.close()
			done()
		}
	}
	go func() { finish(t.fromClient()) }()
	finish(t.fromApp())
}

func (t *tunnel) close() {
	_ = t.client.Close()
	_ = t.up.Close()
}

// fromClient copies what the client sends to the application; at its
// end, it half-closes the application's connection.
func (t *tunnel) fromClient() error {
	if _, err := streamCopy(appWriter{t.up, t.client}, t.client.Conn); err != nil {
		return err
	}
	return closeWrite(t.up)
}

// fromApp copies what the application sends to the client, waiting for
// it with no buffer; at its end, it half-closes the client's connection.
func (t *tunnel) fromApp() error {
	dst := clientWriter{t.client}
	var written int64
	for {
		if err := t.waitReadable(); err != nil {
			return err
		}
		err := copyBurst(dst, t.up, nil, &written)
		if errors.Is(err, io.EOF) {
			return t.client.CloseWrite()
		}
		if err != nil {
			return err
		}
	}
}

func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
