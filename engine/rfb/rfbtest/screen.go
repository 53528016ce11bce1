package rfbtest

import (
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"io"
	"sync"
)

// Screen is a copy of the framebuffer made from Raw updates, to look at
// (or save, when a test fails). It is safe for concurrent use.
type Screen struct {
	mu  sync.Mutex
	pf  PixelFormat
	img *image.RGBA
}

// NewScreen is a black screen of c's size and pixel format.
func NewScreen(c *Conn) *Screen {
	return &Screen{pf: c.Init.PixelFormat, img: image.NewRGBA(image.Rect(0, 0, int(c.Init.Width), int(c.Init.Height)))}
}

// Apply draws an update: Raw rectangles, and new sizes (DesktopSize,
// ExtendedDesktopSize), which clear the screen.
func (s *Screen) Apply(u *FramebufferUpdate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bpp := int(s.pf.BitsPerPixel / 8)
	for _, r := range u.Rects {
		switch {
		case r.Encoding == EncodingDesktopSize, r.Encoding == EncodingExtendedDesktopSize && r.Y == 0:
			s.img = image.NewRGBA(image.Rect(0, 0, int(r.Width), int(r.Height)))
		case r.Encoding == EncodingRaw && s.pf.TrueColour:
			for i := 0; i+bpp <= len(r.Pixels); i += bpp {
				p := i / bpp
				x, y := int(r.X)+p%int(r.Width), int(r.Y)+p/int(r.Width)
				s.img.SetRGBA(x, y, s.colour(r.Pixels[i:i+bpp]))
			}
		}
	}
}

// colour decodes one true-colour pixel.
func (s *Screen) colour(b []byte) color.RGBA {
	var v uint32
	var order binary.ByteOrder = binary.LittleEndian
	if s.pf.BigEndian {
		order = binary.BigEndian
	}
	switch len(b) {
	case 4:
		v = order.Uint32(b)
	case 2:
		v = uint32(order.Uint16(b))
	case 1:
		v = uint32(b[0])
	}
	scale := func(shift uint8, max uint16) uint8 {
		if max == 0 {
			return 0
		}
		return uint8((v >> shift) & uint32(max) * 255 / uint32(max))
	}
	return color.RGBA{scale(s.pf.RedShift, s.pf.RedMax), scale(s.pf.GreenShift, s.pf.GreenMax), scale(s.pf.BlueShift, s.pf.BlueMax), 255}
}

// Size is the screen's size.
func (s *Screen) Size() (width, height int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.img.Bounds()
	return b.Dx(), b.Dy()
}

// At is the colour at (x, y).
func (s *Screen) At(x, y int) color.RGBA {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.img.RGBAAt(x, y)
}

// PNG writes the screen as a PNG image.
func (s *Screen) PNG(w io.Writer) error {
	s.mu.Lock()
	img := image.NewRGBA(s.img.Bounds())
	copy(img.Pix, s.img.Pix)
	s.mu.Unlock()
	return png.Encode(w, img)
}
