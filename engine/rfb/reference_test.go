package rfb_test

import (
	"encoding/binary"
	"slices"
)

// This file is a reference reading of a whole client stream, written
// apart from the filter (whole buffers, no state machine), that the tests
// and the fuzz target check the filter against.

// refMsg is one complete client message.
type refMsg struct {
	typ byte
	raw []byte
}

// refResult is what a view-only filter must do with a client stream.
type refResult struct {
	want []byte   // what it must forward for the complete parts
	tail []byte   // what it may have forwarded of an incomplete or refused last part
	msgs []refMsg // the complete client messages
	err  bool     // the stream must be refused
	// partial is the type of an incomplete last message, -1 if none.
	partial int
}

var (
	refForwarded = []byte{0, 2, 3, 150, 248}
	refDropped   = []byte{4, 5, 6, 250, 251, 255}
)

// refParse reads a client stream. server33 is the security type the
// server chose if the client speaks 3.3 (-1: the filter is not told).
func refParse(in []byte, server33 int) refResult {
	r := refResult{partial: -1}
	if len(in) < 12 {
		return r // the version is held back until complete
	}
	version := string(in[:12])
	var sec int
	switch version {
	case "RFB 003.003\n":
		sec = server33
	case "RFB 003.007\n", "RFB 003.008\n":
		sec = -2 // chosen by the client
	default:
		r.err = true
		return r
	}
	r.want = append(r.want, in[:12]...)
	in = in[12:]
	if sec == -1 || sec == 0 || sec > 2 {
		r.err = len(in) > 0 || sec != -1
		return r
	}
	if sec == -2 {
		if len(in) == 0 {
			return r
		}
		if in[0] != 1 && in[0] != 2 {
			r.err = true
			return r
		}
		sec = int(in[0])
		r.want = append(r.want, in[0])
		in = in[1:]
	}
	if sec == 2 {
		if len(in) < 16 {
			r.tail = in
			return r
		}
		r.want = append(r.want, in[:16]...)
		in = in[16:]
	}
	if len(in) == 0 {
		return r
	}
	r.want = append(r.want, 1) // ClientInit, always shared
	return refMessages(r, in[1:])
}

// refMessages reads client messages from in.
func refMessages(r refResult, in []byte) refResult {
	for len(in) > 0 {
		t := in[0]
		forwarded := slices.Contains(refForwarded, t)
		if !forwarded && !slices.Contains(refDropped, t) {
			r.err = true
			return r
		}
		total, known, bad := refLength(in)
		if bad {
			r.err = true
			if forwarded {
				r.tail = in[:8] // a fence's bytes before its bad length
			}
			return r
		}
		if !known || len(in) < total {
			r.partial = int(t)
			if forwarded {
				r.tail = in
			}
			return r
		}
		r.msgs = append(r.msgs, refMsg{typ: t, raw: in[:total]})
		if forwarded {
			r.want = append(r.want, in[:total]...)
		}
		in = in[total:]
	}
	return r
}

// refLength is the length of the message at the start of m: known is
// false when m is too short to tell; bad when the message is refused.
func refLength(m []byte) (total int, known, bad bool) {
	u16 := func(i int) int { return int(binary.BigEndian.Uint16(m[i:])) }
	has := func(n int) bool { return len(m) >= n }
	switch m[0] {
	case 0:
		return 20, true, false
	case 3, 150:
		return 10, true, false
	case 4:
		return 8, true, false
	case 5:
		return 6, true, false
	case 250:
		return 4, true, false
	case 2:
		if !has(4) {
			return 0, false, false
		}
		return 4 + 4*u16(2), true, false
	case 6:
		if !has(8) {
			return 0, false, false
		}
		n := int64(int32(binary.BigEndian.Uint32(m[4:])))
		if n < 0 {
			n = -n
		}
		return 8 + int(n), true, n > 16<<20
	case 248:
		if !has(9) {
			return 0, false, false
		}
		return 9 + int(m[8]), true, m[8] > 64
	case 251:
		if !has(8) {
			return 0, false, false
		}
		return 8 + 16*int(m[6]), true, false
	case 255:
		if !has(2) {
			return 0, false, false
		}
		switch m[1] {
		case 0:
			return 12, true, false
		case 1:
			if !has(4) {
				return 0, false, false
			}
			switch u16(2) {
			case 0, 1:
				return 4, true, false
			case 2:
				return 10, true, false
			}
		}
		return 0, true, true
	}
	return 0, true, true
}
