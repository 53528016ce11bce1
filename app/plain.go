//go:build !desktop && !dev

package app

import (
	"errors"

	"github.com/rs/zerolog"
)

// Built says that this binary has no console: it is the server build.
const Built = false

// Run says how to get the console: this build has none.
func Run(string, string, zerolog.Logger) error {
	return errors.New("this build of simphony-remote has no desktop console: build it with make desktop (it installs the GTK and WebKitGTK development packages), then run bin/simphony-remote-console console; or install the simphony-remote-console package")
}
