// Package rfb knows enough of the RFB protocol (RFC 6143, the remote
// framebuffer protocol of VNC) to filter what a viewer sends: a view-only
// share of a desktop may watch it, but not type, click, paste or resize.
//
// The filter reads the client→server byte stream of one connection, as it
// comes, in chunks of any size, and fails closed: anything it cannot
// frame exactly (an unknown message type, a security type whose exchange it
// cannot follow, a length over its limits) is an error, after which the
// connection must be closed.
package rfb

// Protocol versions the filter follows, as the client sends them.
const (
	Version33 = "RFB 003.003\n"
	Version37 = "RFB 003.007\n"
	Version38 = "RFB 003.008\n"
)

// Security types.
const (
	SecurityInvalid = 0
	SecurityNone    = 1
	SecurityVNCAuth = 2 // a 16-byte challenge, a 16-byte response
)

// Client-to-server message types (RFC 6143 §7.5 and the RFB community
// specification's extensions).
const (
	MsgSetPixelFormat           = 0
	MsgSetEncodings             = 2
	MsgFramebufferUpdateRequest = 3
	MsgKeyEvent                 = 4
	MsgPointerEvent             = 5
	MsgClientCutText            = 6
	MsgEnableContinuousUpdates  = 150
	MsgClientFence              = 248
	MsgXvp                      = 250
	MsgSetDesktopSize           = 251
	MsgQEMU                     = 255
)

// QEMU client submessages (message type 255).
const (
	QEMUExtendedKeyEvent = 0
	QEMUAudio            = 1
)

// Limits on what a client may send.
const (
	// MaxCutText is the largest clipboard a client may send (and have
	// dropped); more is an error.
	MaxCutText = 16 << 20
	// MaxFencePayload is the ClientFence payload limit of the
	// specification.
	MaxFencePayload = 64
)
