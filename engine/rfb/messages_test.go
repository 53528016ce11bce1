package rfb_test

import (
	"bytes"
	"encoding/binary"
)

// Client messages, as a client would send them.

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func setPixelFormat() []byte {
	return cat([]byte{0, 0, 0, 0}, []byte{32, 24, 0, 1}, be16(255), be16(255), be16(255), []byte{16, 8, 0}, []byte{0, 0, 0})
}

func setEncodings(encs ...int32) []byte {
	m := cat([]byte{2, 0}, be16(uint16(len(encs))))
	for _, e := range encs {
		m = append(m, be32(uint32(e))...)
	}
	return m
}

func updateRequest(incremental byte) []byte {
	return cat([]byte{3, incremental}, be16(0), be16(0), be16(1280), be16(800))
}

func continuousUpdates(enable byte) []byte {
	return cat([]byte{150, enable}, be16(0), be16(0), be16(1280), be16(800))
}

func fence(payload string) []byte {
	return cat([]byte{248, 0, 0, 0}, be32(1<<31|3), []byte{byte(len(payload))}, []byte(payload))
}

func keyEvent(down byte, keysym uint32) []byte {
	return cat([]byte{4, down, 0, 0}, be32(keysym))
}

func pointerEvent(mask byte, x, y uint16) []byte {
	return cat([]byte{5, mask}, be16(x), be16(y))
}

func cutText(text string) []byte {
	return cat([]byte{6, 0, 0, 0}, be32(uint32(len(text))), []byte(text))
}

// extendedCutText is the extended clipboard form: a negative length.
func extendedCutText(payload []byte) []byte {
	return cat([]byte{6, 0, 0, 0}, be32(uint32(-int32(len(payload)))), payload)
}

func setDesktopSize(screens int) []byte {
	m := cat([]byte{251, 0}, be16(1920), be16(1080), []byte{byte(screens), 0})
	for i := range screens {
		m = append(m, cat(be32(uint32(i)), be16(0), be16(0), be16(1920), be16(1080), be32(0))...)
	}
	return m
}

func xvp(code byte) []byte { return []byte{250, 0, 1, code} }

func qemuKey(down uint16, keysym, keycode uint32) []byte {
	return cat([]byte{255, 0}, be16(down), be32(keysym), be32(keycode))
}

func qemuAudio(op uint16) []byte {
	m := cat([]byte{255, 1}, be16(op))
	if op == 2 {
		m = append(m, cat([]byte{3, 2}, be32(44100))...)
	}
	return m
}

// Handshakes: what the client sends up to ClientInit.

func hs38(shared byte) []byte { return cat([]byte("RFB 003.008\n"), []byte{1, shared}) }
func hs37(shared byte) []byte { return cat([]byte("RFB 003.007\n"), []byte{1, shared}) }

func hs38Auth(shared byte) []byte {
	return cat([]byte("RFB 003.008\n"), []byte{2}, bytes.Repeat([]byte{0xA5}, 16), []byte{shared})
}

// message is one client message and whether a viewer may send it.
type message struct {
	name    string
	raw     []byte
	forward bool
}

// marker is in most dropped messages, to look for any piece of one in an
// output.
const marker = 0xDEADBEEF

// allMessages lists every client message kind the filter knows.
func allMessages() []message {
	return []message{
		{"SetPixelFormat", setPixelFormat(), true},
		{"SetEncodings", setEncodings(0, -223, -308, 7), true},
		{"SetEncodings none", setEncodings(), true},
		{"FramebufferUpdateRequest", updateRequest(0), true},
		{"FramebufferUpdateRequest incremental", updateRequest(1), true},
		{"EnableContinuousUpdates", continuousUpdates(1), true},
		{"ClientFence", fence("ping"), true},
		{"ClientFence empty", fence(""), true},
		{"ClientFence 64 bytes", fence(string(bytes.Repeat([]byte{'f'}, 64))), true},
		{"KeyEvent", keyEvent(1, marker), false},
		{"KeyEvent up", keyEvent(0, marker), false},
		{"PointerEvent", pointerEvent(1, 0xDEAD, 0xBEEF), false},
		{"ClientCutText", cutText("\xde\xad\xbe\xef touch /workspace/pwned\n"), false},
		{"ClientCutText empty", cutText(""), false},
		{"ClientCutText extended", extendedCutText(cat(be32(1<<28|1), be32(marker))), false},
		{"SetDesktopSize", cat(setDesktopSize(1)[:8], be32(marker), setDesktopSize(1)[12:]), false},
		{"SetDesktopSize no screen", setDesktopSize(0), false},
		{"SetDesktopSize 3 screens", setDesktopSize(3), false},
		{"xvp", xvp(4), false},
		{"QEMU extended key", qemuKey(1, marker, 0x1e), false},
		{"QEMU audio enable", qemuAudio(0), false},
		{"QEMU audio disable", qemuAudio(1), false},
		{"QEMU audio format", qemuAudio(2), false},
	}
}
