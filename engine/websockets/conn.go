package websockets

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// closeWriteTimeout bounds writing a close frame to a client that does
// not read.
const closeWriteTimeout = time.Second

// CloseFrame is an unmasked (server to client) close frame with why, its
// text cut to the 123 bytes a close frame holds.
func CloseFrame(why Reason) []byte {
	text := why.Text
	if len(text) > 123 {
		text = text[:123]
	}
	f := make([]byte, 4, 4+len(text))
	f[0] = 0x88 // FIN, close
	f[1] = byte(2 + len(text))
	binary.BigEndian.PutUint16(f[2:], uint16(why.Code))
	return append(f, text...)
}

// Tunnel is the client connection of a WebSocket that the Caddy module's
// tunnel carries as raw bytes: set once hijacked, and closed on demand,
// before or after that.
//
// Closing writes a close frame with the reason, then closes the
// connection, which ends the tunnel's copy both ways (and its connection
// to the application). A connection that follows the
// application's frames (a FrameCloser) puts the close frame between two
// of them; on another, the frame may land inside a message the
// application is sending at that moment, and the client then reports a
// broken connection (1006) instead of the reason. It is closed either way.
type Tunnel struct {
	// Raw is set for an upgrade to another protocol than WebSocket: it
	// is closed without a close frame.
	Raw bool

	mu     sync.Mutex
	conn   net.Conn
	closed *Reason
}

// FrameCloser is a connection that writes a close frame only between two
// frames of what else it writes, waiting at most timeout for the current
// frame to end.
type FrameCloser interface {
	WriteCloseFrame(frame []byte, timeout time.Duration) error
}

// Attach sets the hijacked connection; when the tunnel was closed
// already, it closes the connection at once.
func (t *Tunnel) Attach(c net.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.conn = c
	if t.closed != nil {
		go t.closeConn(c, *t.closed)
	}
}

// Close closes the connection with why, without waiting; a tunnel not
// yet hijacked is closed as soon as it is.
func (t *Tunnel) Close(why Reason) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed != nil {
		return
	}
	t.closed = &why
	if t.conn != nil {
		go t.closeConn(t.conn, why)
	}
}

func (t *Tunnel) closeConn(c net.Conn, why Reason) {
	defer c.Close()
	if t.Raw {
		return
	}
	_ = c.SetWriteDeadline(time.Now().Add(closeWriteTimeout))
	if fc, ok := c.(FrameCloser); ok {
		_ = fc.WriteCloseFrame(CloseFrame(why), closeWriteTimeout)
		return
	}
	_, _ = c.Write(CloseFrame(why))
}

// IsHandshake says whether r asks for a WebSocket (and not another
// protocol) over HTTP/1.1.
func IsHandshake(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Sec-WebSocket-Key") != "" && headerHas(r.Header, "Upgrade", "websocket")
}

// Refuse answers a WebSocket handshake by accepting it and closing it at
// once with why, so that a browser's client sees the code and the reason
// (a browser hides the HTTP status of a failed handshake: its client
// would only see 1006). A request that is not a WebSocket handshake gets
// the reason as plain text, with 401 for SignedOut, 503 for 1013 and 1001,
// and 429 otherwise.
func Refuse(w http.ResponseWriter, r *http.Request, why Reason) {
	key := r.Header.Get("Sec-WebSocket-Key")
	if !IsHandshake(r) {
		status := http.StatusTooManyRequests
		switch {
		case why == SignedOut:
			status = http.StatusUnauthorized
		case why.Code == 1013 || why.Code == 1001:
			status = http.StatusServiceUnavailable
		}
		http.Error(w, why.Text, status)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, why.Text, http.StatusServiceUnavailable)
		return
	}
	defer conn.Close()
	sum := sha1.Sum([]byte(strings.TrimSpace(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	_ = conn.SetWriteDeadline(time.Now().Add(closeWriteTimeout))
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n"
	// A browser fails a handshake that does not pick one of the
	// subprotocols it offered, and would then hide the reason.
	if p := firstToken(r.Header.Get("Sec-WebSocket-Protocol")); p != "" {
		resp += "Sec-WebSocket-Protocol: " + p + "\r\n"
	}
	bw := bufio.NewWriter(conn)
	if brw != nil {
		bw = brw.Writer
	}
	_, _ = bw.WriteString(resp + "\r\n")
	_, _ = bw.Write(CloseFrame(why))
	if bw.Flush() != nil {
		return
	}
	// Wait (briefly) for the client's close frame before closing: closing
	// with its bytes unread would reset the connection, and a reset can
	// drop our close frame before the client reads it.
	_ = conn.SetReadDeadline(time.Now().Add(closeWriteTimeout))
	_, _ = conn.Read(make([]byte, 128))
}

func headerHas(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func firstToken(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}
