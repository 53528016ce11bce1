package websockets

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
)

// frame builds a server frame (or a masked client one) with n payload
// bytes.
func frame(n int, masked bool) []byte {
	var h []byte
	switch {
	case n < 126:
		h = []byte{0x82, byte(n)}
	case n < 1<<16:
		h = []byte{0x82, 126, 0, 0}
		binary.BigEndian.PutUint16(h[2:], uint16(n))
	default:
		h = make([]byte, 10)
		h[0], h[1] = 0x82, 127
		binary.BigEndian.PutUint64(h[2:], uint64(n))
	}
	if masked {
		h[1] |= 0x80
		h = append(h, 1, 2, 3, 4)
	}
	return append(h, bytes.Repeat([]byte{'x'}, n)...)
}

// TestFrames: fed a stream of frames in pieces of any size, Frames finds
// exactly the ends of the frames.
func TestFrames(t *testing.T) {
	var stream []byte
	var ends []int // offsets just after each frame
	for _, f := range [][]byte{frame(0, false), frame(5, false), frame(125, false), frame(126, false), frame(70000, false), frame(3, true), frame(0, true), CloseFrame(SignedOut)} {
		stream = append(stream, f...)
		ends = append(ends, len(stream))
	}
	for _, piece := range []int{1, 2, 3, 7, 14, 100, 4096, len(stream)} {
		var f Frames
		var got []int
		off := 0
		for off < len(stream) {
			p := stream[off:min(off+piece, len(stream))]
			for len(p) > 0 {
				n, ended := f.Next(p)
				off += n
				p = p[n:]
				if ended {
					got = append(got, off)
					if !f.AtBoundary() {
						t.Fatalf("pieces of %d: a frame ended at %d, but not at a boundary", piece, off)
					}
				}
			}
		}
		if !slices.Equal(got, ends) {
			t.Errorf("pieces of %d: frames ended at %v, want %v", piece, got, ends)
		}
	}
	var f Frames
	f.Feed(stream[:ends[3]+1])
	if f.AtBoundary() {
		t.Error("one byte into a frame counts as a boundary")
	}
	f.Feed(stream[ends[3]+1 : ends[4]])
	if !f.AtBoundary() {
		t.Error("the end of a 70000-byte frame is not a boundary")
	}
}
