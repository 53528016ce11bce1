package images_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/simphony/simphony-remote/engine/images"
)

// TestStarterPath finds the starter next to the program (make build's
// bin/) before the one the package installs (/usr/lib/simphony-remote for
// /usr/bin/simphony-remote), and names the one next to it when there is
// neither.
func TestStarterPath(t *testing.T) {
	touch := func(path string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	root := t.TempDir()
	exe := filepath.Join(root, "usr", "bin", "simphony-remote")
	touch(exe)
	next := filepath.Join(root, "usr", "bin", "simphony-remote-starter")
	lib := filepath.Join(root, "usr", "lib", "simphony-remote", "simphony-remote-starter")

	if got := images.StarterPath(exe); got != next {
		t.Errorf("with no starter: %s, want %s (where make build puts it)", got, next)
	}
	touch(lib)
	if got := filepath.Clean(images.StarterPath(exe)); got != lib {
		t.Errorf("installed by the package: %s, want %s", got, lib)
	}
	touch(next)
	if got := images.StarterPath(exe); got != next {
		t.Errorf("next to the program too: %s, want %s", got, next)
	}
}
