package caddymodule

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// waitReadable waits until the application's connection has bytes to
// read, or has ended, holding no buffer meanwhile: it peeks at one byte
// without waiting, and waits on Go's poller when there is none.
func (t *tunnel) waitReadable() error {
	sc, ok := t.up.(syscall.Conn)
	if !ok {
		return nil // the copy waits in Read instead
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Read(func(fd uintptr) bool {
		for {
			_, _, err := unix.Recvfrom(int(fd), t.peek[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
			switch err {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false // nothing yet: wait for the poller
			}
			return true // bytes, the end, or an error that Read will return
		}
	})
}
