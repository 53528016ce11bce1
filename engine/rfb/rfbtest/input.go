package rfbtest

import (
	"encoding/binary"
	"fmt"
)

// Encodings the client can ask for.
const (
	EncodingRaw                 int32 = 0
	EncodingDesktopSize         int32 = -223 // pseudo: the framebuffer's new size
	EncodingLastRect            int32 = -224 // pseudo: no more rectangles in this update
	EncodingExtendedDesktopSize int32 = -308 // pseudo: size and screens
)

// Keysyms of keys that are not characters.
const (
	KeyReturn    uint32 = 0xff0d
	KeyTab       uint32 = 0xff09
	KeyBackSpace uint32 = 0xff08
	KeyEscape    uint32 = 0xff1b
)

// Pointer buttons.
const (
	ButtonLeft   uint8 = 1 << 0
	ButtonMiddle uint8 = 1 << 1
	ButtonRight  uint8 = 1 << 2
)

// SetEncodings says which encodings the server may use; none means Raw
// only.
func (c *Conn) SetEncodings(encodings ...int32) error {
	if len(encodings) == 0 {
		encodings = []int32{EncodingRaw}
	}
	msg := []byte{2, 0}
	msg = binary.BigEndian.AppendUint16(msg, uint16(len(encodings)))
	for _, e := range encodings {
		msg = binary.BigEndian.AppendUint32(msg, uint32(e))
	}
	return c.write(msg)
}

// RequestUpdate asks for the whole framebuffer: all of it, or only what
// changed (incremental).
func (c *Conn) RequestUpdate(incremental bool) error {
	inc := byte(0)
	if incremental {
		inc = 1
	}
	msg := []byte{3, inc, 0, 0, 0, 0}
	msg = binary.BigEndian.AppendUint16(msg, c.Init.Width)
	msg = binary.BigEndian.AppendUint16(msg, c.Init.Height)
	return c.write(msg)
}

// Key presses (down) or releases a key.
func (c *Conn) Key(keysym uint32, down bool) error {
	d := byte(0)
	if down {
		d = 1
	}
	return c.write(binary.BigEndian.AppendUint32([]byte{4, d, 0, 0}, keysym))
}

// Keysym is the keysym of a character: "\n" is Return, "\t" Tab.
func Keysym(r rune) uint32 {
	switch {
	case r == '\n' || r == '\r':
		return KeyReturn
	case r == '\t':
		return KeyTab
	case r == '\b':
		return KeyBackSpace
	case r >= 0x20 && r <= 0x7e, r >= 0xa0 && r <= 0xff:
		return uint32(r) // Latin-1 keysyms are the characters
	default:
		return 0x01000000 | uint32(r) // Unicode keysyms
	}
}

// TypeString presses and releases the key of each character of s.
func (c *Conn) TypeString(s string) error {
	for _, r := range s {
		k := Keysym(r)
		if err := c.Key(k, true); err != nil {
			return err
		}
		if err := c.Key(k, false); err != nil {
			return err
		}
	}
	return nil
}

// Pointer moves the pointer to (x, y) with buttons held.
func (c *Conn) Pointer(x, y int, buttons uint8) error {
	if x < 0 || y < 0 || x > 0xffff || y > 0xffff {
		return fmt.Errorf("pointer at (%d, %d): out of range", x, y)
	}
	msg := []byte{5, buttons}
	msg = binary.BigEndian.AppendUint16(msg, uint16(x))
	msg = binary.BigEndian.AppendUint16(msg, uint16(y))
	return c.write(msg)
}

// Click moves the pointer to (x, y) and clicks button 1.
func (c *Conn) Click(x, y int) error { return c.ClickButton(x, y, ButtonLeft) }

// ClickButton moves the pointer to (x, y) and presses and releases
// button.
func (c *Conn) ClickButton(x, y int, button uint8) error {
	for _, b := range []uint8{0, button, 0} {
		if err := c.Pointer(x, y, b); err != nil {
			return err
		}
	}
	return nil
}

// Paste sends text (Latin-1) as the client's clipboard (ClientCutText).
func (c *Conn) Paste(text string) error {
	msg := binary.BigEndian.AppendUint32([]byte{6, 0, 0, 0}, uint32(len(text)))
	return c.write(append(msg, text...))
}

// SetDesktopSize asks for a new framebuffer size, as one screen.
func (c *Conn) SetDesktopSize(width, height int) error {
	msg := []byte{251, 0}
	msg = binary.BigEndian.AppendUint16(msg, uint16(width))
	msg = binary.BigEndian.AppendUint16(msg, uint16(height))
	msg = append(msg, 1, 0)
	msg = binary.BigEndian.AppendUint32(msg, 0) // screen id
	msg = binary.BigEndian.AppendUint16(msg, 0)
	msg = binary.BigEndian.AppendUint16(msg, 0)
	msg = binary.BigEndian.AppendUint16(msg, uint16(width))
	msg = binary.BigEndian.AppendUint16(msg, uint16(height))
	msg = binary.BigEndian.AppendUint32(msg, 0) // flags
	return c.write(msg)
}

// Send sends raw bytes as one WebSocket message: any client message,
// well formed or not.
func (c *Conn) Send(raw []byte) error { return c.write(raw) }
