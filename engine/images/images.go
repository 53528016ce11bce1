// Package images builds the starter images, offline (no registry): the
// simphony-remote/desktop VNC desktop and the simphony-remote/files file
// browser, from the recipes embedded from installer/images and the static
// simphony-remote-starter binary. Builds are idempotent: each image carries
// the SHA-256 of what it was built from, and an image that carries the
// current one is left alone.
package images

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/simphony/simphony-remote/engine/docker"
)

// The starter images.
const (
	Desktop = "simphony-remote/desktop:latest" // a vncapp
	Files   = "simphony-remote/files:latest"   // a webapp
)

// LabelRecipe holds the SHA-256 over what an image was built from: its
// recipe files, the starter binary and, for the desktop, its base's
// parameters.
const LabelRecipe = "org.simphony-remote.recipe"

// Errors, wrapped with the details and what to do.
var (
	ErrNoStarter     = errors.New("no simphony-remote-starter binary")
	ErrNoDebootstrap = errors.New("debootstrap is not installed")
	ErrNeedRoot      = errors.New("the desktop base image needs root")
	ErrNoMirror      = errors.New("no Debian mirror found in the apt sources")
)

// Options tune BuildStarters.
type Options struct {
	// Starter is the static simphony-remote-starter binary to put in the
	// images.
	Starter string
	// Only builds just "desktop" or "files"; empty builds both.
	Only string
	// Force rebuilds even up-to-date images, without Docker's build cache.
	// The desktop's debootstrap base is kept: it depends only on its
	// parameters.
	Force bool
	// Progress receives concise progress lines; nil discards them.
	Progress io.Writer
	// AptSources are the apt source files or directories the Debian mirror
	// is read from; empty means /etc/apt/sources.list and
	// /etc/apt/sources.list.d.
	AptSources []string
	// WorkDir is where the desktop base's root file system is made; empty
	// means the system's temporary directory.
	WorkDir string
}

// Result tells what became of one image.
type Result struct {
	Image    string // Desktop or Files
	ID       string // Docker's image id
	Recipe   string // the LabelRecipe value
	UpToDate bool   // it was left alone
	Took     time.Duration
}

// starter is one starter image and its recipe directory in
// installer/images.
type starter struct {
	name, image string
	desktop     bool
}

var starters = []starter{
	{name: "files", image: Files},
	{name: "desktop", image: Desktop, desktop: true},
}

// Names lists the starter images' short names, for Options.Only.
func Names() []string {
	out := make([]string, len(starters))
	for i, s := range starters {
		out[i] = s.name
	}
	return out
}

// BuildStarters builds the starter images that are missing or out of date
// (all of them with opts.Force), one after the other.
func BuildStarters(ctx context.Context, c *docker.Client, opts Options) ([]Result, error) {
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	var todo []starter
	for _, s := range starters {
		if opts.Only == "" || opts.Only == s.name {
			todo = append(todo, s)
		}
	}
	if len(todo) == 0 {
		return nil, fmt.Errorf("unknown starter image %q: want desktop or files", opts.Only)
	}
	bin, err := readStarter(opts.Starter)
	if err != nil {
		return nil, err
	}
	b := &builder{c: c, opts: opts, starter: bin}
	var out []Result
	for _, s := range todo {
		r, err := b.build(ctx, s)
		if err != nil {
			return out, fmt.Errorf("building %s: %w", s.image, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// readStarter reads the starter binary, which must be statically linked:
// the files image has nothing else in it.
func readStarter(path string) ([]byte, error) {
	if path == "" {
		return nil, fmt.Errorf("%w given: run make build, which writes bin/simphony-remote-starter", ErrNoStarter)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s: run make build, which writes bin/simphony-remote-starter next to bin/simphony-remote (or pass --starter)", ErrNoStarter, path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the starter binary: %w", err)
	}
	if err := checkStatic(path, data); err != nil {
		return nil, err
	}
	return data, nil
}
