package images

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestRemoveRootfs(t *testing.T) {
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	proc := filepath.Join(rootfs, "proc")
	if err := os.MkdirAll(proc, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// As an interrupted debootstrap leaves it: something mounted inside.
	mounted := os.Geteuid() == 0 && syscall.Mount("tmpfs", proc, "tmpfs", 0, "size=1m") == nil
	if mounted {
		t.Cleanup(func() { _ = syscall.Unmount(proc, syscall.MNT_DETACH) })
		if m, err := mountsUnder(rootfs); err != nil || len(m) != 1 || m[0] != proc {
			t.Fatalf("mounts under %s: %v, %v; want %s", rootfs, m, err, proc)
		}
	} else {
		t.Log("not root, or no tmpfs: removing without a mount inside")
	}
	if err := removeRootfs(rootfs); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(rootfs); !os.IsNotExist(err) {
		t.Fatalf("%s still there: %v", rootfs, err)
	}
}
