package rfb

import (
	"encoding/binary"
	"fmt"
)

// action is what the view-only filter does with a client message.
type action int8

const (
	refuse  action = iota // unknown: the connection ends
	forward               // reaches the server
	drop                  // never reaches the server
)

// viewOnly says what happens to a message of type t from a viewer. Input
// (keys, pointer, clipboard), resizing and the extensions that carry keys
// or control the machine are dropped; what only asks for pictures passes.
func viewOnly(t byte) action {
	switch t {
	case MsgSetPixelFormat, MsgSetEncodings, MsgFramebufferUpdateRequest,
		MsgEnableContinuousUpdates, MsgClientFence:
		return forward
	case MsgKeyEvent, MsgPointerEvent, MsgClientCutText, MsgXvp,
		MsgSetDesktopSize, MsgQEMU:
		return drop
	}
	return refuse
}

// maxHeader is the longest prefix frame needs to know a message's length.
const maxHeader = 9

// frame tells the length of the client message that starts with h
// (len(h) >= 1, h[0] its type). When h is too short to tell, it returns
// need > len(h), the number of bytes it needs; otherwise need <= len(h)
// and total is the whole message's length.
func frame(h []byte) (need int, total int64, err error) {
	switch t := h[0]; t {
	case MsgSetPixelFormat:
		return 1, 20, nil
	case MsgSetEncodings: // type, padding, U16 count, S32 × count
		if len(h) < 4 {
			return 4, 0, nil
		}
		return 4, 4 + 4*int64(binary.BigEndian.Uint16(h[2:4])), nil
	case MsgFramebufferUpdateRequest, MsgEnableContinuousUpdates:
		return 1, 10, nil
	case MsgKeyEvent:
		return 1, 8, nil
	case MsgPointerEvent:
		return 1, 6, nil
	case MsgClientCutText: // type, 3 padding, S32 length, text
		if len(h) < 8 {
			return 8, 0, nil
		}
		// Negative: the extended clipboard format, |length| bytes.
		n := int64(int32(binary.BigEndian.Uint32(h[4:8])))
		if n < 0 {
			n = -n
		}
		if n > MaxCutText {
			return 0, 0, fmt.Errorf("client cut text of %d bytes: more than the %d allowed", n, MaxCutText)
		}
		return 8, 8 + n, nil
	case MsgClientFence: // type, 3 padding, U32 flags, U8 length, payload
		if len(h) < 9 {
			return 9, 0, nil
		}
		if n := h[8]; n > MaxFencePayload {
			return 0, 0, fmt.Errorf("client fence payload of %d bytes: more than %d", n, MaxFencePayload)
		}
		return 9, 9 + int64(h[8]), nil
	case MsgXvp:
		return 1, 4, nil
	case MsgSetDesktopSize: // type, padding, U16 w, U16 h, U8 screens, padding, 16 × screens
		if len(h) < 8 {
			return 8, 0, nil
		}
		return 8, 8 + 16*int64(h[6]), nil
	case MsgQEMU:
		return frameQEMU(h)
	default:
		return 0, 0, fmt.Errorf("client message type %d is not one the filter knows", t)
	}
}

// frameQEMU frames QEMU client messages: the extended key event (12
// bytes) and the audio operations (enable, disable: 4 bytes; set the
// format: 10 bytes).
func frameQEMU(h []byte) (need int, total int64, err error) {
	if len(h) < 2 {
		return 2, 0, nil
	}
	switch sub := h[1]; sub {
	case QEMUExtendedKeyEvent:
		return 2, 12, nil
	case QEMUAudio:
		if len(h) < 4 {
			return 4, 0, nil
		}
		switch op := binary.BigEndian.Uint16(h[2:4]); op {
		case 0, 1: // enable, disable
			return 4, 4, nil
		case 2: // set format: U8 sample format, U8 channels, U32 frequency
			return 4, 10, nil
		default:
			return 0, 0, fmt.Errorf("QEMU audio operation %d is not one the filter knows", op)
		}
	default:
		return 0, 0, fmt.Errorf("QEMU client submessage %d is not one the filter knows", sub)
	}
}
