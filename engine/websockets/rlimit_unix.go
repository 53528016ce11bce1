//go:build unix

package websockets

import "syscall"

// DescriptorLimit is the process's soft RLIMIT_NOFILE (which Go raises to
// the hard limit at start), or 0 when unknown.
func DescriptorLimit() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	return uint64(l.Cur)
}
