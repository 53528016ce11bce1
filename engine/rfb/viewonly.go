package rfb

import (
	"errors"
	"fmt"
	"sync"
)

// phase is where the client's side of the connection is.
type phase int8

const (
	phaseVersion        phase = iota // the 12-byte ProtocolVersion
	phaseSecurity                    // 3.7, 3.8: the chosen security type, 1 byte
	phaseServerSecurity              // 3.3: the server chooses; no client byte is expected
	phaseAuthResponse                // VNC authentication: the 16-byte response
	phaseClientInit                  // the shared flag, 1 byte
	phaseMessages                    // client messages
)

// Filter is the view-only filter of one RFB connection's client→server
// stream. Its methods are safe for concurrent use: Filter runs on the
// client's bytes, ObserveServer on the server's.
type Filter struct {
	mu    sync.Mutex
	err   error // once set, every call returns it
	phase phase

	version [12]byte
	vlen    int
	minor   int // 3, 7 or 8 once the version is read

	authLeft int // bytes of the VNC authentication response still to come

	// The message being read: its first bytes, and once its length is
	// known, how many bytes of it are still to come.
	hdr    [maxHeader]byte
	hlen   int
	left   int64
	action action

	srv serverState
}

// NewViewOnly returns a filter for a viewer who may only watch: it forces
// ClientInit's shared flag to 1 (so that a viewer never disconnects the
// others), forwards what asks for pictures (SetPixelFormat, SetEncodings,
// FramebufferUpdateRequest, EnableContinuousUpdates, ClientFence) and
// drops input (KeyEvent, PointerEvent, ClientCutText), SetDesktopSize, xvp
// and QEMU messages.
//
// It follows security types None and VNC authentication. With protocol
// 3.3 the server chooses the security type, so the filter must also be
// shown the server's bytes (ObserveServer); without them a 3.3 connection
// fails.
func NewViewOnly() *Filter { return &Filter{} }

// ErrClosed is returned by a filter that has already failed, wrapped with
// its first error.
var ErrClosed = errors.New("rfb: the filter has refused the connection")

// Filter takes the next bytes the client sent and returns those to forward
// to the server. The result may share p's memory; it is valid until p is
// reused. An error means the connection must be closed: nothing more may
// be forwarded, and every later call fails.
func (f *Filter) Filter(p []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	out := output{in: p}
	if err := f.filter(p, &out); err != nil {
		f.err = fmt.Errorf("%w: %w", ErrClosed, err)
		return nil, f.err
	}
	return out.bytes(), nil
}

func (f *Filter) filter(p []byte, out *output) error {
	for i := 0; i < len(p); {
		switch f.phase {
		case phaseVersion:
			n := copy(f.version[f.vlen:], p[i:])
			f.vlen += n
			i += n
			if f.vlen < len(f.version) {
				continue
			}
			if err := f.setVersion(); err != nil {
				return err
			}
			out.put(f.version[:]...)
		case phaseSecurity:
			switch t := p[i]; t {
			case SecurityNone:
				f.phase = phaseClientInit
			case SecurityVNCAuth:
				f.phase, f.authLeft = phaseAuthResponse, 16
			default:
				return fmt.Errorf("security type %d: the filter cannot follow it", t)
			}
			out.keep(i, i+1)
			i++
		case phaseServerSecurity:
			return errors.New("protocol 3.3: the client sent data before the server's security type was seen")
		case phaseAuthResponse:
			n := min(f.authLeft, len(p)-i)
			out.keep(i, i+n)
			i += n
			if f.authLeft -= n; f.authLeft == 0 {
				f.phase = phaseClientInit
			}
		case phaseClientInit:
			if p[i] == 1 {
				out.keep(i, i+1)
			} else {
				out.put(1) // shared: never disconnect the other viewers
			}
			i++
			f.phase = phaseMessages
		case phaseMessages:
			n, err := f.message(p[i:], i, out)
			if err != nil {
				return err
			}
			i += n
		}
	}
	return nil
}

// setVersion checks the client's ProtocolVersion.
func (f *Filter) setVersion() error {
	switch string(f.version[:]) {
	case Version33:
		f.minor, f.phase = 3, phaseServerSecurity
	case Version37:
		f.minor, f.phase = 7, phaseSecurity
	case Version38:
		f.minor, f.phase = 8, phaseSecurity
	default:
		return fmt.Errorf("protocol version %q: want %q, %q or %q", f.version[:], Version33, Version37, Version38)
	}
	return nil
}

// message reads client messages from p (which starts at offset off of
// the call's input) and returns how many bytes it consumed.
func (f *Filter) message(p []byte, off int, out *output) (int, error) {
	if f.left > 0 { // inside a message whose length is known
		n := int(min(f.left, int64(len(p))))
		if f.action == forward {
			out.keep(off, off+n)
		}
		f.left -= int64(n)
		return n, nil
	}
	// A message's first bytes, until its length is known.
	b := p[0]
	if f.hlen == 0 {
		if f.action = viewOnly(b); f.action == refuse {
			return 0, fmt.Errorf("client message type %d is not one the filter knows", b)
		}
	}
	f.hdr[f.hlen] = b
	f.hlen++
	if f.action == forward {
		out.keep(off, off+1)
	}
	need, total, err := frame(f.hdr[:f.hlen])
	if err != nil {
		return 0, err
	}
	if need <= f.hlen {
		f.left = total - int64(f.hlen)
		f.hlen = 0
	}
	return 1, nil
}
