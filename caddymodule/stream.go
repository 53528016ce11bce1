package caddymodule

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/websockets"
)

// A proxied WebSocket spends most of its life idle: a desktop nobody
// touches, a notebook between two cells. Caddy's reverse_proxy copies each
// direction of an upgraded connection with io.CopyBuffer and a buffer of
// its own (32 KiB by default), held for the connection's whole life. The
// connection it hijacks from us copies itself instead (io.CopyBuffer uses
// the source's WriteTo or the destination's ReadFrom when there is one):
// while idle, each direction waits on a small buffer, and only a burst
// borrows a large one from a pool, returned as soon as a read comes back
// short. make bench measures the difference (docs/performance.md).

// Sizes of the buffers of a stream: the one each direction waits on, and
// the one a burst borrows.
const (
	idleBufferSize  = 4 << 10
	burstBufferSize = 32 << 10
)

var burstBuffers = sync.Pool{New: func() any { b := make([]byte, burstBufferSize); return &b }}

// streamConn is a hijacked client connection that copies itself to and
// from the backend without holding a large buffer while idle. It follows
// the WebSocket frames the backend sends, so that the engine can close it
// with a close frame between two of them (WriteCloseFrame). Its traffic,
// either way, is activity on its session (routes.Route.Traffic), so that
// a desktop used for a day over one WebSocket does not look idle.
type streamConn struct {
	net.Conn
	route routes.Route     // the session
	now   func() time.Time // the clock for its activity; time.Now when nil

	mu      sync.Mutex // serialises writes to the client
	frames  websockets.Frames
	closing []byte        // the close frame, once asked for
	wrote   chan struct{} // closed once closing is written, while it waits
}

// ReadFrom copies what the backend sends to the client.
func (c *streamConn) ReadFrom(r io.Reader) (int64, error) {
	return streamCopy(clientWriter{c}, r)
}

// clientWriter writes the backend's stream to the client.
type clientWriter struct{ c *streamConn }

func (w clientWriter) Write(p []byte) (int, error) {
	w.c.traffic()
	return w.c.writeFrames(p)
}

// appWriter writes the client's stream to the backend.
type appWriter struct {
	io.Writer
	c *streamConn
}

func (w appWriter) Write(p []byte) (int, error) {
	w.c.traffic()
	return w.Writer.Write(p)
}

// traffic records traffic on the stream as activity on its session: a
// clock read and a shared load per read, a store once a second at most.
func (c *streamConn) traffic() {
	now := c.now
	if now == nil {
		now = time.Now
	}
	c.route.Traffic(now())
}

// writeFrames writes what the backend sends to the client and notes where
// its frames end. Once a close frame waits, it writes up to the end of the
// current frame, then the close frame, and nothing more.
func (c *streamConn) writeFrames(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing == nil {
		n, err := c.Conn.Write(p)
		c.frames.Feed(p[:n])
		return n, err
	}
	if c.wrote == nil { // the close frame is out
		return 0, net.ErrClosed
	}
	n, ended := c.frames.Next(p)
	written, err := c.Conn.Write(p[:n])
	if err != nil || !ended {
		return written, err
	}
	_, err = c.Conn.Write(c.closing)
	close(c.wrote)
	c.wrote = nil
	if err == nil {
		err = net.ErrClosed
	}
	return written, err
}

// WriteCloseFrame implements websockets.FrameCloser: it writes frame
// at once between two of the backend's frames, or else at the end of the
// current one, waiting for it at most timeout.
func (c *streamConn) WriteCloseFrame(frame []byte, timeout time.Duration) error {
	c.mu.Lock()
	if c.closing != nil {
		c.mu.Unlock()
		return nil
	}
	c.closing = frame
	if c.frames.AtBoundary() {
		defer c.mu.Unlock()
		_, err := c.Conn.Write(frame)
		return err
	}
	wrote := make(chan struct{})
	c.wrote = wrote
	c.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-wrote:
		return nil
	case <-t.C:
		return errors.New("the application's frame did not end in time for the close frame")
	}
}

// WriteTo copies what the client sends to the backend.
func (c *streamConn) WriteTo(w io.Writer) (int64, error) {
	return streamCopy(appWriter{w, c}, c.Conn)
}

// CloseWrite passes a half-close on, as reverse_proxy expects of the
// connections it hijacks (TLS and TCP connections both have it).
func (c *streamConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// streamCopy copies src to dst until src ends, as io.Copy does (io.EOF is
// success), waiting for data on a small buffer and copying bursts with a
// pooled large one.
func streamCopy(dst io.Writer, src io.Reader) (written int64, err error) {
	idle := make([]byte, idleBufferSize)
	for {
		n, err := copyOnce(dst, src, idle, &written)
		if err == nil && n == len(idle) {
			// A read filled the small buffer: more is probably on its way.
			err = copyBurst(dst, src, &written)
		}
		if errors.Is(err, io.EOF) {
			return written, nil
		}
		if err != nil {
			return written, err
		}
	}
}

// copyBurst copies with a large buffer until a read comes back short,
// which ends the burst (a TLS read returns one record at most, 16 KiB, so
// always short), and gives the buffer back before the next wait.
func copyBurst(dst io.Writer, src io.Reader, written *int64) error {
	buf := burstBuffers.Get().(*[]byte)
	defer burstBuffers.Put(buf)
	for {
		n, err := copyOnce(dst, src, *buf, written)
		if err != nil || n < len(*buf) {
			return err
		}
	}
}

// copyOnce reads once into buf and writes what it got.
func copyOnce(dst io.Writer, src io.Reader, buf []byte, written *int64) (int, error) {
	n, rerr := src.Read(buf)
	if n > 0 {
		w, werr := dst.Write(buf[:n])
		*written += int64(w)
		if werr == nil && w < n {
			werr = io.ErrShortWrite
		}
		if werr != nil {
			return n, werr
		}
	}
	return n, rerr
}

// Interface guards: io.CopyBuffer must find these.
var (
	_ io.ReaderFrom          = (*streamConn)(nil)
	_ io.WriterTo            = (*streamConn)(nil)
	_ websockets.FrameCloser = (*streamConn)(nil)
)

// hijack hijacks the connection under w to session route, wraps it in a
// streamConn, and hands it to attach (if not nil).
func hijack(w http.ResponseWriter, route routes.Route, attach func(net.Conn)) (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, nil, err
	}
	sc := &streamConn{Conn: conn, route: route}
	if attach != nil {
		attach(sc)
	}
	return sc, brw, nil
}

// openWebSocket admits the owner's WebSocket through the engine, which
// counts it against the caps and closes it when the credential that
// opened it ends: rec hands it the connection once reverse_proxy hijacks
// it. Over a cap the engine has answered, and ok is false.
func (h *Handler) openWebSocket(rec *statusRecorder, r *http.Request, id auth.Identity, route routes.Route) (done func(), ok bool) {
	attach, done, ok := h.b.OpenWebSocket(rec.ResponseWriterWrapper.ResponseWriter, r, id, route)
	if !ok {
		h.b.Observe(http.StatusSwitchingProtocols)
		return nil, false
	}
	rec.attach = attach
	rec.route = route
	return done, true
}
