package caddymodule

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/websockets"
)

// Sizes of the buffers of a tunnel: the one the client's direction waits
// on (what a client sends is small: keys, pointer moves, a clipboard),
// and the one a burst borrows.
const (
	idleBufferSize  = 1 << 10
	burstBufferSize = 32 << 10
)

var burstBuffers = sync.Pool{New: func() any { b := make([]byte, burstBufferSize); return &b }}

// streamConn is the client's connection of a tunnel (tunnel.go). It follows
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

// CloseWrite passes a half-close on to the client (TLS and TCP
// connections both have it).
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
		n, err := src.Read(idle)
		switch {
		case err == nil && n == len(idle):
			// A read filled the small buffer: more is probably on its
			// way, and goes out with these bytes in one write.
			err = copyBurst(dst, src, idle, &written)
		case n > 0:
			if werr := write(dst, idle[:n], &written); werr != nil {
				err = werr
			}
		}
		if errors.Is(err, io.EOF) {
			return written, nil
		}
		if err != nil {
			return written, err
		}
	}
}

// copyBurst copies with a large buffer, the bytes of head first, until a
// read comes back short, which ends the burst (a TLS read returns the rest
// of one record at most, 16 KiB, so always short), and gives the buffer
// back before the next wait.
func copyBurst(dst io.Writer, src io.Reader, head []byte, written *int64) error {
	buf := burstBuffers.Get().(*[]byte)
	defer burstBuffers.Put(buf)
	k := copy(*buf, head)
	for {
		n, err := src.Read((*buf)[k:])
		n += k
		k = 0
		if n > 0 {
			if werr := write(dst, (*buf)[:n], written); werr != nil {
				return werr
			}
		}
		if err != nil || n < len(*buf) {
			return err
		}
	}
}

// write writes p to dst, counting what it wrote.
func write(dst io.Writer, p []byte, written *int64) error {
	w, err := dst.Write(p)
	*written += int64(w)
	if err == nil && w < len(p) {
		err = io.ErrShortWrite
	}
	return err
}

var _ websockets.FrameCloser = (*streamConn)(nil)
