package audit

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// peerOf reads the peer's credentials of a unix socket connection.
func peerOf(c *net.UnixConn) (Peer, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return Peer{}, fmt.Errorf("reading the peer's credentials: %w", err)
	}
	var (
		cred *unix.Ucred
		cerr error
	)
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return Peer{}, fmt.Errorf("reading the peer's credentials: %w", err)
	}
	if cerr != nil {
		return Peer{}, fmt.Errorf("reading the peer's credentials: %w", cerr)
	}
	return Peer{UID: cred.Uid, GID: cred.Gid, PID: cred.Pid}, nil
}
