package rfbtest_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// fake is a tiny RFB server over a WebSocket: 64×48 pixels, 32 bits per
// pixel, security None. It sends its bytes in 7-byte WebSocket messages,
// so that the client must read RFB across message boundaries, and it
// reports every client message it gets.
type fake struct {
	*httptest.Server
	types  []byte // the security types it offers; none: it refuses
	shared chan byte
	got    chan string // client messages, described
}

func newFake(t *testing.T, types ...byte) *fake {
	t.Helper()
	f := &fake{types: types, shared: make(chan byte, 1), got: make(chan string, 100)}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"binary"}})
		if err != nil {
			return
		}
		defer ws.CloseNow()
		nc := websocket.NetConn(r.Context(), ws, websocket.MessageBinary)
		if err := f.serve(nc, splitWriter{nc, 7}); err != nil && !errors.Is(err, io.EOF) {
			f.got <- "error: " + err.Error()
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) url() string { return "ws" + strings.TrimPrefix(f.URL, "http") + "/websockify" }

// splitWriter writes in pieces of n bytes.
type splitWriter struct {
	w io.Writer
	n int
}

func (s splitWriter) Write(p []byte) (int, error) {
	for i := 0; i < len(p); i += s.n {
		if _, err := s.w.Write(p[i:min(i+s.n, len(p))]); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

func (f *fake) serve(r io.Reader, w io.Writer) error {
	be := binary.BigEndian
	if _, err := w.Write([]byte("RFB 003.008\n")); err != nil {
		return err
	}
	version := make([]byte, 12)
	if _, err := io.ReadFull(r, version); err != nil {
		return err
	}
	if len(f.types) == 0 {
		reason := "no more sessions"
		_, err := w.Write(append(be.AppendUint32([]byte{0}, uint32(len(reason))), reason...))
		return err
	}
	if _, err := w.Write(append([]byte{byte(len(f.types))}, f.types...)); err != nil {
		return err
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(r, b); err != nil || b[0] != 1 {
		return fmt.Errorf("security type %v, %v", b, err)
	}
	if _, err := w.Write(be.AppendUint32(nil, 0)); err != nil {
		return err
	}
	if _, err := io.ReadFull(r, b); err != nil {
		return err
	}
	f.shared <- b[0]
	name := "fake desktop"
	init := be.AppendUint16(be.AppendUint16(nil, 64), 48)
	init = append(init, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0)
	init = append(be.AppendUint32(init, uint32(len(name))), name...)
	if _, err := w.Write(init); err != nil {
		return err
	}
	// Unasked: a bell, the clipboard, a colour map.
	hello := []byte{2, 3, 0, 0, 0}
	hello = append(be.AppendUint32(hello, 5), "hello"...)
	hello = append(hello, 1, 0, 0, 7, 0, 1, 0xff, 0xff, 0, 0, 0x12, 0x34)
	if _, err := w.Write(hello); err != nil {
		return err
	}
	return f.messages(r, w)
}

// messages reads client messages; an update request gets a DesktopSize
// rectangle (80×60) and a raw 2×2 rectangle of pixels 0, 1, 2, ...
func (f *fake) messages(r io.Reader, w io.Writer) error {
	be := binary.BigEndian
	read := func(n int) ([]byte, error) {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	for {
		t, err := read(1)
		if err != nil {
			return err
		}
		switch t[0] {
		case 2:
			h, err := read(3)
			if err != nil {
				return err
			}
			encs, err := read(4 * int(be.Uint16(h[1:])))
			if err != nil {
				return err
			}
			var list []string
			for i := 0; i < len(encs); i += 4 {
				list = append(list, fmt.Sprint(int32(be.Uint32(encs[i:]))))
			}
			f.got <- "encodings " + strings.Join(list, ",")
		case 3:
			m, err := read(9)
			if err != nil {
				return err
			}
			f.got <- fmt.Sprintf("update incremental=%d %dx%d", m[0], be.Uint16(m[5:]), be.Uint16(m[7:]))
			u := []byte{0, 0, 0, 2}
			u = append(u, 0, 0, 0, 0, 0, 80, 0, 60, 0xff, 0xff, 0xff, 0x21) // DesktopSize
			u = append(u, 0, 1, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0)               // Raw 2×2 at (1,2)
			for i := range 16 {
				u = append(u, byte(i))
			}
			if _, err := w.Write(u); err != nil {
				return err
			}
		case 4:
			m, err := read(7)
			if err != nil {
				return err
			}
			f.got <- fmt.Sprintf("key %#x down=%d", be.Uint32(m[3:]), m[0])
		case 5:
			m, err := read(5)
			if err != nil {
				return err
			}
			f.got <- fmt.Sprintf("pointer %d,%d buttons=%d", be.Uint16(m[1:]), be.Uint16(m[3:]), m[0])
		case 6:
			m, err := read(7)
			if err != nil {
				return err
			}
			text, err := read(int(be.Uint32(m[3:])))
			if err != nil {
				return err
			}
			f.got <- fmt.Sprintf("cut text %q", text)
		case 251:
			m, err := read(7)
			if err != nil {
				return err
			}
			if _, err := read(16 * int(m[5])); err != nil {
				return err
			}
			f.got <- fmt.Sprintf("desktop size %dx%d", be.Uint16(m[1:]), be.Uint16(m[3:]))
		default:
			return fmt.Errorf("client message type %d", t[0])
		}
	}
}

// expect checks the fake's next reports.
func (f *fake) expect(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-f.got:
			if got != w {
				t.Fatalf("server got %q, want %q", got, w)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("server did not get %q", w)
		}
	}
}
