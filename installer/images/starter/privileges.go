package main

import (
	"fmt"
	"os"
	"syscall"
)

// nobody is the unprivileged user and group to fall back on.
const nobody = 65534

// dropTarget picks who the file browser runs as: the owner of dir, unless
// that is root or dir is missing, in which case nobody. A root group is
// replaced by nobody's as well.
func dropTarget(dir string) (uid, gid int) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nobody, nobody
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nobody, nobody
	}
	uid, gid = int(st.Uid), int(st.Gid)
	if gid == 0 {
		gid = nobody
	}
	return uid, gid
}

// dropPrivileges switches the whole process (Go applies these to every
// thread on Linux) to uid and gid, with no supplementary groups. It works
// under no-new-privileges, which only restricts execve.
func dropPrivileges(uid, gid int) error {
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("dropping supplementary groups: %w", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("switching to gid %d: %w", gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("switching to uid %d: %w", uid, err)
	}
	if os.Getuid() != uid || os.Geteuid() != uid {
		return fmt.Errorf("switching to uid %d: still uid %d", uid, os.Geteuid())
	}
	return nil
}
