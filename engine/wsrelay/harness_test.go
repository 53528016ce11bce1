package wsrelay_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/simphony/simphony-remote/engine/wsrelay"
)

// noLeaks checks, when the test ends, that the goroutines it started
// have ended (polling, with a deadline).
func noLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("%d goroutines left, want %d:\n%s", runtime.NumGoroutine(), before, buf)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// upstream is a WebSocket server standing for a session's application.
type upstream struct {
	*httptest.Server
	requests chan *http.Request // each handshake it gets
	ended    chan error         // how each connection's handler ended
}

// newUpstream serves WebSockets with handle, which returns the error
// that ended it; protocols are those it speaks.
func newUpstream(t testing.TB, protocols []string, handle func(ctx context.Context, c *websocket.Conn) error) *upstream {
	t.Helper()
	u := &upstream{requests: make(chan *http.Request, 1000), ended: make(chan error, 1000)}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case u.requests <- r.Clone(context.Background()):
		default: // a test that does not look at them
		}
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: protocols, InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(-1)
		u.ended <- handle(r.Context(), c)
	}))
	t.Cleanup(u.Close)
	return u
}

// addr is the upstream's host:port.
func (u *upstream) addr() string { return strings.TrimPrefix(u.URL, "http://") }

// echo sends every message back, with its type.
func echo(ctx context.Context, c *websocket.Conn) error {
	for {
		typ, b, err := c.Read(ctx)
		if err != nil {
			return err
		}
		if err := c.Write(ctx, typ, b); err != nil {
			return err
		}
	}
}

// endedWith returns how the upstream's next connection ended, within a
// deadline.
func (u *upstream) endedWith(t *testing.T) error {
	t.Helper()
	select {
	case err := <-u.ended:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream's connection did not end")
		return nil
	}
}

// front is the proxy: it relays every request to an upstream with the
// options opts gives, and reports what Serve returned.
type front struct {
	*httptest.Server
	served chan error
}

func newFront(t testing.TB, upstreamAddr string, opts func(r *http.Request) wsrelay.Options) *front {
	t.Helper()
	f := &front{served: make(chan error, 1000)}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var o wsrelay.Options
		if opts != nil {
			o = opts(r)
		}
		f.served <- wsrelay.Serve(r.Context(), w, r, upstreamAddr, o)
	}))
	t.Cleanup(f.Close)
	return f
}

// wsURL is the front's WebSocket URL for path.
func (f *front) wsURL(path string) string { return "ws" + strings.TrimPrefix(f.URL, "http") + path }

// dial opens a client WebSocket through the front.
func (f *front) dial(t *testing.T, path string, opts *websocket.DialOptions) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, f.wsURL(path), opts)
	if err != nil {
		t.Fatalf("dialling through the relay: %v", err)
	}
	c.SetReadLimit(-1)
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// wait returns what the front's Serve returned, within a deadline.
func (f *front) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-f.served:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
		return nil
	}
}

// within is a context for one step of a test.
func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// closeStatus reads from c until it fails and returns how it was closed.
func closeStatus(t *testing.T, c *websocket.Conn) websocket.CloseError {
	t.Helper()
	ctx := within(t, 10*time.Second)
	for {
		_, _, err := c.Read(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if ctx.Err() != nil {
			t.Fatalf("the connection was not closed in time: %v", err)
		}
		if !errors.As(err, &ce) {
			return websocket.CloseError{Code: -1, Reason: err.Error()}
		}
		return ce
	}
}

// plainServer is an HTTP server for the cases that need no WebSocket.
type plainServer struct{ *httptest.Server }

func newPlainServer(t *testing.T, h http.HandlerFunc) *plainServer {
	t.Helper()
	if h == nil {
		h = http.NotFound
	}
	s := &plainServer{httptest.NewServer(h)}
	t.Cleanup(s.Close)
	return s
}

func (s *plainServer) addr() string { return strings.TrimPrefix(s.URL, "http://") }
