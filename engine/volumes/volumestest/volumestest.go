// Package volumestest makes host directories that the volume rules accept.
package volumestest

import (
	"os"
	"path/filepath"
	"testing"
)

// base holds the tests' roots: like every directory above it, it is owned
// by root and writable by root only, which /tmp (t.TempDir) is not.
const base = "/var/lib"

// Root creates a new directory that passes the volume rules, mode 0755 and
// owned by root, and removes it when the test ends. It needs root: it
// fails under CI=true without it and skips loudly elsewhere.
func Root(tb testing.TB) string {
	tb.Helper()
	if os.Geteuid() != 0 {
		msg := "this test needs root: volume sources must be owned by root"
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip("SKIPPED: " + msg)
	}
	dir, err := os.MkdirTemp(base, "simphony-remote-test-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// Dir creates the directory name under parent, mode 0755, holding a file
// named marker, and returns its path.
func Dir(tb testing.TB, parent, name string) string {
	tb.Helper()
	dir := filepath.Join(parent, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "marker"), []byte(name), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}
