package rfbtest

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
)

// Message is a message from the server: *FramebufferUpdate,
// *SetColourMapEntries, *Bell or *ServerCutText.
type Message interface{ messageType() byte }

// FramebufferUpdate is a picture update.
type FramebufferUpdate struct{ Rects []Rect }

// Rect is a rectangle of an update: Raw pixels (in the server's pixel
// format, row by row), or a pseudo-encoding (DesktopSize: the new size is
// Width × Height).
type Rect struct {
	X, Y, Width, Height uint16
	Encoding            int32
	Pixels              []byte   // Raw
	Screens             [][]byte // ExtendedDesktopSize: 16 bytes each
}

// SetColourMapEntries sets colour map entries from First.
type SetColourMapEntries struct {
	First   uint16
	Colours [][3]uint16 // red, green, blue
}

// Bell rings.
type Bell struct{}

// ServerCutText is the server's clipboard: Latin-1 text, or an extended
// clipboard message (Extended: flags and data as sent).
type ServerCutText struct {
	Text     []byte
	Extended bool
}

func (*FramebufferUpdate) messageType() byte   { return 0 }
func (*SetColourMapEntries) messageType() byte { return 1 }
func (*Bell) messageType() byte                { return 2 }
func (*ServerCutText) messageType() byte       { return 3 }

// Limits on what the client reads.
const (
	maxRectBytes = 256 << 20
	maxCutText   = 16 << 20
)

// ReadMessage reads the server's next message. If ctx ends first, the
// connection is closed (it cannot be resumed mid-message).
func (c *Conn) ReadMessage(ctx context.Context) (Message, error) {
	stop := context.AfterFunc(ctx, func() { _ = c.ws.CloseNow() })
	defer stop()
	m, err := c.readMessage()
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return m, err
}

func (c *Conn) readMessage() (Message, error) {
	t, err := c.r.ReadByte()
	if err != nil {
		return nil, fmt.Errorf("reading a server message: %w", err)
	}
	switch t {
	case 0:
		return c.readUpdate()
	case 1:
		var h struct {
			Pad          byte
			First, Count uint16
		}
		if err := binary.Read(c.r, binary.BigEndian, &h); err != nil {
			return nil, fmt.Errorf("reading SetColourMapEntries: %w", err)
		}
		m := &SetColourMapEntries{First: h.First, Colours: make([][3]uint16, h.Count)}
		if err := binary.Read(c.r, binary.BigEndian, m.Colours); err != nil {
			return nil, fmt.Errorf("reading SetColourMapEntries: %w", err)
		}
		return m, nil
	case 2:
		return &Bell{}, nil
	case 3:
		var h struct {
			Pad    [3]byte
			Length int32
		}
		if err := binary.Read(c.r, binary.BigEndian, &h); err != nil {
			return nil, fmt.Errorf("reading ServerCutText: %w", err)
		}
		n, ext := int64(h.Length), h.Length < 0
		if ext {
			n = -n
		}
		if n > maxCutText {
			return nil, fmt.Errorf("ServerCutText of %d bytes", n)
		}
		m := &ServerCutText{Text: make([]byte, n), Extended: ext}
		if _, err := io.ReadFull(c.r, m.Text); err != nil {
			return nil, fmt.Errorf("reading ServerCutText: %w", err)
		}
		return m, nil
	default:
		return nil, fmt.Errorf("server message type %d: not one this client asked for", t)
	}
}

func (c *Conn) readUpdate() (*FramebufferUpdate, error) {
	var h struct {
		Pad   byte
		Count uint16
	}
	if err := binary.Read(c.r, binary.BigEndian, &h); err != nil {
		return nil, fmt.Errorf("reading FramebufferUpdate: %w", err)
	}
	u := &FramebufferUpdate{}
	for i := 0; i < int(h.Count); i++ {
		var r struct {
			X, Y, Width, Height uint16
			Encoding            int32
		}
		if err := binary.Read(c.r, binary.BigEndian, &r); err != nil {
			return nil, fmt.Errorf("reading rectangle %d: %w", i, err)
		}
		rect := Rect{X: r.X, Y: r.Y, Width: r.Width, Height: r.Height, Encoding: r.Encoding}
		switch r.Encoding {
		case EncodingRaw:
			n := int64(r.Width) * int64(r.Height) * int64(c.Init.PixelFormat.BitsPerPixel/8)
			if n > maxRectBytes {
				return nil, fmt.Errorf("a raw rectangle of %d bytes", n)
			}
			rect.Pixels = make([]byte, n)
			if _, err := io.ReadFull(c.r, rect.Pixels); err != nil {
				return nil, fmt.Errorf("reading rectangle %d's pixels: %w", i, err)
			}
		case EncodingDesktopSize:
			c.Width, c.Height = int(r.Width), int(r.Height)
		case EncodingExtendedDesktopSize:
			var s struct {
				Count byte
				Pad   [3]byte
			}
			if err := binary.Read(c.r, binary.BigEndian, &s); err != nil {
				return nil, fmt.Errorf("reading rectangle %d's screens: %w", i, err)
			}
			for range s.Count {
				screen := make([]byte, 16)
				if _, err := io.ReadFull(c.r, screen); err != nil {
					return nil, fmt.Errorf("reading rectangle %d's screens: %w", i, err)
				}
				rect.Screens = append(rect.Screens, screen)
			}
			if r.Y == 0 { // a size change, not a refused request (Y is the status)
				c.Width, c.Height = int(r.Width), int(r.Height)
			}
		case EncodingLastRect:
			u.Rects = append(u.Rects, rect)
			return u, nil
		default:
			return nil, fmt.Errorf("rectangle %d: encoding %d, which this client did not ask for", i, r.Encoding)
		}
		u.Rects = append(u.Rects, rect)
	}
	return u, nil
}
