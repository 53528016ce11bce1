package websockets

import "encoding/binary"

// Frames follows a WebSocket's byte stream in one direction and knows
// where its frames end, so that a close frame can be put between two
// frames of a stream the proxy otherwise copies as raw bytes. The zero
// value is at the start of a stream.
type Frames struct {
	hdr  [14]byte
	n    int    // header bytes of the current frame seen so far
	left uint64 // payload bytes of the current frame still to come
	body bool   // in the current frame's payload
}

// AtBoundary says whether the stream is between two frames.
func (f *Frames) AtBoundary() bool { return f.n == 0 && !f.body }

// Next consumes p until the current frame ends or p does, and returns
// how many bytes it consumed and whether a frame ended there.
func (f *Frames) Next(p []byte) (int, bool) {
	i := 0
	for i < len(p) {
		if f.body {
			k := min(uint64(len(p)-i), f.left)
			i += int(k)
			f.left -= k
			if f.left == 0 {
				f.body = false
				return i, true
			}
			continue
		}
		f.hdr[f.n] = p[i]
		f.n++
		i++
		if f.n >= 2 && f.n == headerLen(f.hdr[:2]) {
			f.left, f.n = payloadLen(f.hdr[:f.n]), 0
			if f.left == 0 {
				return i, true
			}
			f.body = true
		}
	}
	return i, false
}

// Feed consumes all of p.
func (f *Frames) Feed(p []byte) {
	for len(p) > 0 {
		n, _ := f.Next(p)
		p = p[n:]
	}
}

// headerLen is the length of a frame header from its first two bytes.
func headerLen(h []byte) int {
	n := 2
	switch h[1] & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if h[1]&0x80 != 0 { // masked
		n += 4
	}
	return n
}

// payloadLen is the payload length a whole header gives.
func payloadLen(h []byte) uint64 {
	switch l := h[1] & 0x7f; l {
	case 126:
		return uint64(binary.BigEndian.Uint16(h[2:4]))
	case 127:
		return binary.BigEndian.Uint64(h[2:10])
	default:
		return uint64(l)
	}
}
