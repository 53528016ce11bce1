package rfbtest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/color"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/simphony/simphony-remote/engine/rfb/rfbtest"
)

func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestClient(t *testing.T) {
	f := newFake(t, 2, 1)
	c, err := rfbtest.Dial(within(t, 10*time.Second), f.url(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := <-f.shared; got != 1 {
		t.Errorf("shared flag %d, want 1", got)
	}
	want := rfbtest.ServerInit{Width: 64, Height: 48, Name: "fake desktop", PixelFormat: rfbtest.PixelFormat{
		BitsPerPixel: 32, Depth: 24, TrueColour: true, RedMax: 255, GreenMax: 255, BlueMax: 255, RedShift: 16, GreenShift: 8,
	}}
	if c.Init != want || c.Width != 64 || c.Height != 48 {
		t.Fatalf("ServerInit %+v (%dx%d), want %+v", c.Init, c.Width, c.Height, want)
	}

	ctx := within(t, 10*time.Second)
	for _, w := range []rfbtest.Message{
		&rfbtest.Bell{},
		&rfbtest.ServerCutText{Text: []byte("hello")},
		&rfbtest.SetColourMapEntries{First: 7, Colours: [][3]uint16{{0xffff, 0, 0x1234}}},
	} {
		m, err := c.ReadMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(m) != fmt.Sprint(w) {
			t.Fatalf("read %+v, want %+v", m, w)
		}
	}

	if err := c.SetEncodings(rfbtest.EncodingRaw, rfbtest.EncodingDesktopSize); err != nil {
		t.Fatal(err)
	}
	if err := c.RequestUpdate(false); err != nil {
		t.Fatal(err)
	}
	f.expect(t, "encodings 0,-223", "update incremental=0 64x48")
	m, err := c.ReadMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, ok := m.(*rfbtest.FramebufferUpdate)
	if !ok || len(u.Rects) != 2 {
		t.Fatalf("read %+v, want an update of two rectangles", m)
	}
	if r := u.Rects[0]; r.Encoding != rfbtest.EncodingDesktopSize || c.Width != 80 || c.Height != 60 {
		t.Errorf("first rectangle %+v, size now %dx%d; want DesktopSize 80x60", r, c.Width, c.Height)
	}
	if r := u.Rects[1]; r.Encoding != rfbtest.EncodingRaw || r.X != 1 || r.Y != 2 || r.Width != 2 || r.Height != 2 ||
		!bytes.Equal(r.Pixels, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}) {
		t.Errorf("second rectangle %+v", r)
	}

	screen := rfbtest.NewScreen(c)
	screen.Apply(u)
	if w, h := screen.Size(); w != 80 || h != 60 {
		t.Errorf("screen %dx%d after DesktopSize, want 80x60", w, h)
	}
	// Pixel (1,2) is bytes 0 1 2 3, little-endian: 0x03020100, red at
	// bit 16, green at 8, blue at 0.
	if got := screen.At(1, 2); got != (color.RGBA{R: 2, G: 1, B: 0, A: 255}) {
		t.Errorf("pixel (1,2) = %v", got)
	}
	if got := screen.At(2, 3); got != (color.RGBA{R: 14, G: 13, B: 12, A: 255}) {
		t.Errorf("pixel (2,3) = %v", got)
	}
	var png bytes.Buffer
	if err := screen.PNG(&png); err != nil || !bytes.HasPrefix(png.Bytes(), []byte("\x89PNG")) {
		t.Errorf("PNG: %d bytes, %v", png.Len(), err)
	}

	if err := c.TypeString("a/\n"); err != nil {
		t.Fatal(err)
	}
	f.expect(t, "key 0x61 down=1", "key 0x61 down=0", "key 0x2f down=1", "key 0x2f down=0", "key 0xff0d down=1", "key 0xff0d down=0")
	if err := c.Click(10, 20); err != nil {
		t.Fatal(err)
	}
	f.expect(t, "pointer 10,20 buttons=0", "pointer 10,20 buttons=1", "pointer 10,20 buttons=0")
	if err := c.Paste("touch x"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetDesktopSize(800, 600); err != nil {
		t.Fatal(err)
	}
	f.expect(t, `cut text "touch x"`, "desktop size 800x600")
}

func TestClientExclusive(t *testing.T) {
	f := newFake(t, 1)
	c, err := rfbtest.Dial(within(t, 10*time.Second), f.url(), &rfbtest.Options{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := <-f.shared; got != 0 {
		t.Errorf("shared flag %d, want 0", got)
	}
}

func TestClientFails(t *testing.T) {
	tests := []struct {
		name  string
		types []byte
		want  string
	}{
		{"refused", nil, "no more sessions"},
		{"no None", []byte{2, 16}, "no None"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.types...)
			_, err := rfbtest.Dial(within(t, 10*time.Second), f.url(), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Dial: %v, want an error saying %q", err, tt.want)
			}
		})
	}
	t.Run("no answer", func(t *testing.T) {
		silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ws, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer ws.CloseNow()
			_, _, _ = ws.Read(r.Context())
		}))
		defer silent.Close()
		start := time.Now()
		_, err := rfbtest.Dial(within(t, 300*time.Millisecond), "ws"+strings.TrimPrefix(silent.URL, "http"), nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Dial: %v, want the deadline", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Dial took %v after its deadline", d)
		}
	})
}

func TestReadMessageDeadline(t *testing.T) {
	f := newFake(t, 1)
	c, err := rfbtest.Dial(within(t, 10*time.Second), f.url(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := within(t, 10*time.Second)
	for range 3 { // the bell, the clipboard, the colour map
		if _, err := c.ReadMessage(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.ReadMessage(within(t, 100*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadMessage: %v, want the deadline", err)
	}
}

func TestKeysym(t *testing.T) {
	tests := []struct {
		r    rune
		want uint32
	}{
		{'a', 0x61}, {'Z', 0x5a}, {' ', 0x20}, {'~', 0x7e}, {'/', 0x2f},
		{'\n', rfbtest.KeyReturn}, {'\t', rfbtest.KeyTab}, {'é', 0xe9}, {'€', 0x010020ac},
	}
	for _, tt := range tests {
		if got := rfbtest.Keysym(tt.r); got != tt.want {
			t.Errorf("Keysym(%q) = %#x, want %#x", tt.r, got, tt.want)
		}
	}
}
