package images

import (
	"os"
	"path/filepath"
)

// LibDir is where the simphony-remote package installs the starter binary,
// relative to the directory of the program: /usr/bin/simphony-remote finds
// /usr/lib/simphony-remote/simphony-remote-starter.
const LibDir = "../lib/simphony-remote"

// StarterPath returns the starter binary that goes with the program exe:
// the one next to it (make build writes both into bin/), else the one the
// package installs under LibDir from it. When neither exists it returns the
// one next to exe, so that the error BuildStarters gives says where make
// build puts it.
func StarterPath(exe string) string {
	dir := filepath.Dir(exe)
	next := filepath.Join(dir, starterName)
	if exists(next) {
		return next
	}
	if lib := filepath.Join(dir, LibDir, starterName); exists(lib) {
		return lib
	}
	return next
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
