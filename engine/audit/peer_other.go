//go:build !linux

package audit

import (
	"errors"
	"net"
)

// peerOf is not implemented here: SO_PEERCRED is Linux's.
func peerOf(*net.UnixConn) (Peer, error) {
	return Peer{}, errors.New("reading a unix socket peer's credentials is only implemented on Linux")
}
