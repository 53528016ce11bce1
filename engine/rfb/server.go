package rfb

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// sphase is where the server's side of the handshake is, as far as the
// filter needs it: with protocol 3.3, the server (not the client) chooses
// the security type, and the client's next bytes depend on it.
type sphase int8

const (
	sVersion  sphase = iota // the server's 12-byte ProtocolVersion
	sWait                   // waiting for the client's version
	sSecurity               // 3.3: the U32 security type
	sDone                   // nothing more to learn
)

type serverState struct {
	phase sphase
	buf   [12]byte
	n     int
}

// ObserveServer shows the filter the server's bytes, in order and before
// the client can see them. Only the start of the handshake matters; after
// it, calls return at once. An error means the connection must be closed.
func (f *Filter) ObserveServer(p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if err := f.observe(p); err != nil {
		f.err = fmt.Errorf("%w: %w", ErrClosed, err)
		return f.err
	}
	return nil
}

func (f *Filter) observe(p []byte) error {
	s := &f.srv
	for len(p) > 0 && s.phase != sDone {
		switch s.phase {
		case sVersion:
			n := copy(s.buf[s.n:12], p)
			s.n += n
			p = p[n:]
			if s.n == 12 {
				s.n = 0
				s.phase = sWait
			}
		case sWait: // the server has more to say: the client's version is known
			if f.phase == phaseVersion {
				return errors.New("the server sent data before the client's protocol version")
			}
			if f.minor == 3 {
				s.phase = sSecurity
			} else {
				s.phase = sDone
			}
		case sSecurity:
			n := copy(s.buf[s.n:4], p)
			s.n += n
			p = p[n:]
			if s.n < 4 {
				continue
			}
			s.phase = sDone
			switch t := binary.BigEndian.Uint32(s.buf[:4]); t {
			case SecurityNone:
				f.phase = phaseClientInit
			case SecurityVNCAuth:
				f.phase, f.authLeft = phaseAuthResponse, 16
			case SecurityInvalid:
				return errors.New("protocol 3.3: the server refused the connection")
			default:
				return fmt.Errorf("protocol 3.3: the server chose security type %d, which the filter cannot follow", t)
			}
		}
	}
	return nil
}
