package caddymodule

import (
	"bytes"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/websockets"
)

// script is a reader that answers each Read with the next of its chunks
// (cut to the caller's buffer), noting the size of every buffer it gets.
type script struct {
	chunks [][]byte
	sizes  []int
	end    error
}

func (s *script) Read(p []byte) (int, error) {
	s.sizes = append(s.sizes, len(p))
	if len(s.chunks) == 0 {
		return 0, s.end
	}
	n := copy(p, s.chunks[0])
	s.chunks[0] = s.chunks[0][n:]
	if len(s.chunks[0]) == 0 {
		s.chunks = s.chunks[1:]
	}
	return n, nil
}

func TestStreamCopyWaitsOnTheSmallBuffer(t *testing.T) {
	idle := bytes.Repeat([]byte("i"), idleBufferSize)
	burst := bytes.Repeat([]byte("b"), burstBufferSize)
	src := &script{chunks: [][]byte{[]byte("key"), idle, burst, []byte("tail"), []byte("key")}, end: io.EOF}
	dst := &writes{}
	n, err := streamCopy(dst, src)
	if err != nil {
		t.Fatalf("streamCopy: %v, want nil at EOF", err)
	}
	want := 3 + idleBufferSize + burstBufferSize + 4 + 3
	if n != int64(want) || dst.Len() != want {
		t.Fatalf("copied %d bytes (%d written), want %d", n, dst.Len(), want)
	}
	// A small message on the small buffer; one that fills it switches to
	// the large one, the small one's bytes first, until a read comes back
	// short; then the small one again, for the next message and for the
	// wait for the end.
	wantSizes := []int{idleBufferSize, idleBufferSize, burstBufferSize - idleBufferSize, burstBufferSize, idleBufferSize, idleBufferSize, idleBufferSize}
	if !slices.Equal(src.sizes, wantSizes) {
		t.Errorf("read buffers %v, want %v", src.sizes, wantSizes)
	}
	// What filled the small buffer goes out with the rest of its burst,
	// in one write (a TLS record is not split in two writes).
	wantWrites := []int{3, burstBufferSize, idleBufferSize, 4, 3}
	if !slices.Equal(dst.sizes, wantWrites) {
		t.Errorf("writes %v, want %v", dst.sizes, wantWrites)
	}
}

// writes is a buffer that notes the size of every write.
type writes struct {
	bytes.Buffer
	sizes []int
}

func (w *writes) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return w.Buffer.Write(p)
}

// failWriter fails after accepting limit bytes, or writes short.
type failWriter struct {
	limit int
	short bool
}

func (w *failWriter) Write(p []byte) (int, error) {
	if w.short {
		return len(p) / 2, nil
	}
	if len(p) > w.limit {
		return w.limit, errors.New("peer gone")
	}
	w.limit -= len(p)
	return len(p), nil
}

func TestStreamCopyErrors(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 3*burstBufferSize)
	n, err := streamCopy(&failWriter{limit: 5000}, bytes.NewReader(data))
	if err == nil || err.Error() != "peer gone" || n != 5000 {
		t.Errorf("write error: got %d, %v; want 5000, peer gone", n, err)
	}
	_, err = streamCopy(&failWriter{short: true}, bytes.NewReader(data))
	if !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("short write: got %v, want io.ErrShortWrite", err)
	}
	boom := errors.New("connection reset")
	src := &script{chunks: [][]byte{[]byte("last words")}, end: boom}
	var dst bytes.Buffer
	if _, err := streamCopy(&dst, src); !errors.Is(err, boom) || dst.String() != "last words" {
		t.Errorf("read error: got %q, %v; want what came before it, then the error", dst.String(), err)
	}
}

func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	a, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b := <-accepted
	if b == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// TestCloseFrameBetweenFrames: the engine's close frame goes out between
// two of the application's frames: at once when the stream is between
// frames, else right after the current frame, with nothing after it.
func TestCloseFrameBetweenFrames(t *testing.T) {
	closeFrame := websockets.CloseFrame(websockets.SignedOut)
	big := append([]byte{0x82, 126, 0x03, 0xe8}, bytes.Repeat([]byte{'a'}, 1000)...) // 1000-byte binary frame
	next := []byte{0x81, 2, 'h', 'i'}
	for _, tt := range []struct {
		name        string
		before      []byte // sent by the application before the close is asked for
		after       []byte // sent after
		wantClient  []byte
		wantPending bool
	}{
		{"between frames", big, next, append(append([]byte{}, big...), closeFrame...), false},
		{"inside a frame", big[:500], append(append([]byte{}, big[500:]...), next...), append(append([]byte{}, big...), closeFrame...), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			client, server := net.Pipe()
			sc := &streamConn{Conn: server}
			br, bw := io.Pipe()
			defer br.Close()
			go func() { _, _ = streamCopy(clientWriter{sc}, br) }()
			var mu sync.Mutex
			var received []byte
			ended := make(chan struct{})
			go func() {
				defer close(ended)
				buf := make([]byte, 100)
				for {
					n, err := client.Read(buf)
					mu.Lock()
					received = append(received, buf[:n]...)
					mu.Unlock()
					if err != nil {
						return
					}
				}
			}()
			if _, err := bw.Write(tt.before); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, "the first bytes reach the client", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(received) == len(tt.before)
			})
			closed := make(chan error, 1)
			go func() { closed <- sc.WriteCloseFrame(closeFrame, 10*time.Second) }()
			if tt.wantPending {
				waitUntil(t, "the close frame waits", func() bool {
					sc.mu.Lock()
					defer sc.mu.Unlock()
					return sc.wrote != nil
				})
			} else if err := <-closed; err != nil {
				t.Fatalf("WriteCloseFrame between frames: %v", err)
			}
			go func() { _, _ = bw.Write(tt.after) }()
			if tt.wantPending {
				if err := <-closed; err != nil {
					t.Fatalf("WriteCloseFrame inside a frame: %v", err)
				}
			}
			sc.Close()
			<-ended
			if b := received; !bytes.Equal(b, tt.wantClient) {
				t.Errorf("the client got %d bytes ending %q, want %d ending %q", len(b), b[max(0, len(b)-30):], len(tt.wantClient), tt.wantClient[len(tt.wantClient)-30:])
			}
		})
	}
}

// waitUntil polls cond until it holds, or fails the test after a deadline.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// fakeClock is a clock that moves only when told.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *fakeClock) now() time.Time  { return time.Unix(0, c.ns.Load()) }

// TestStreamTrafficIsActivity: frames the browser sends and frames the
// application sends each move the session's last activity, read from the
// stream's clock.
func TestStreamTrafficIsActivity(t *testing.T) {
	table := routes.New()
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	table.Put(routes.Route{URLID: "s", Started: start})
	route, _ := table.Get("s")
	clock := &fakeClock{}
	browser, server := net.Pipe()
	sc := &streamConn{Conn: server, route: route, now: clock.now}
	defer sc.Close()
	toApp, fromBrowser := io.Pipe() // what the stream copies to the application
	fromApp, toBrowser := io.Pipe() // what the application sends
	defer fromApp.Close()
	go func() { _, _ = streamCopy(appWriter{fromBrowser, sc}, sc.Conn) }()
	go func() { _, _ = streamCopy(clientWriter{sc}, fromApp) }()
	frame := []byte{0x81, 2, 'h', 'i'}
	buf := make([]byte, len(frame))

	lastActive := func() time.Time {
		r, _ := table.Get("s")
		return r.LastActive()
	}
	clock.set(start.Add(time.Hour))
	go func() { _, _ = browser.Write(frame) }()
	if _, err := io.ReadFull(toApp, buf); err != nil {
		t.Fatal(err)
	}
	if got := lastActive(); !got.Equal(start.Add(time.Hour)) {
		t.Errorf("after a frame from the browser, LastActive = %v, want %v", got, start.Add(time.Hour))
	}
	clock.set(start.Add(2 * time.Hour))
	go func() { _, _ = toBrowser.Write(frame) }()
	if _, err := io.ReadFull(browser, buf); err != nil {
		t.Fatal(err)
	}
	if got := lastActive(); !got.Equal(start.Add(2 * time.Hour)) {
		t.Errorf("after a frame from the application, LastActive = %v, want %v", got, start.Add(2*time.Hour))
	}
}
