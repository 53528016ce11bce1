// Package logging sets up zerolog for the appliance and records errors under
// short reference ids that users can quote.
package logging

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// Durations are logged as milliseconds (a float), under field names that
// say so: Dur("took_ms", d), Dur("retry_in_ms", d).
func init() {
	zerolog.DurationFieldUnit = time.Millisecond
	zerolog.DurationFieldInteger = false
}

// New returns a logger writing to w at level ("trace" … "error") in format
// "console" (human-readable), "json", or "auto": console when w is a
// terminal, JSON otherwise. Each of also gets every record too, in JSON
// whatever the format (a Ring, for the desktop console).
func New(w io.Writer, level, format string, also ...io.Writer) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Nop(), fmt.Errorf("log level %q: want trace, debug, info, warn or error", level)
	}
	switch format {
	case "auto":
		if isTerminal(w) {
			w = console(w)
		}
	case "console":
		w = console(w)
	case "json":
	default:
		return zerolog.Nop(), fmt.Errorf("log format %q: want auto, console or json", format)
	}
	if len(also) > 0 {
		w = zerolog.MultiLevelWriter(append([]io.Writer{w}, also...)...)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

func console(w io.Writer) io.Writer {
	return zerolog.ConsoleWriter{Out: w, TimeFormat: time.DateTime, NoColor: !isTerminal(w)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// Issue logs err with msg under a new short reference id and returns the id,
// to be shown to the user ("something went wrong, reference 3f9c1a2b") so
// that an administrator can find the full error in the log.
func Issue(log *zerolog.Logger, err error, msg string) string {
	ref := NewRef()
	log.Error().Err(err).Str("ref", ref).Msg(msg)
	return ref
}

// NewRef returns a random reference id of 8 hex digits.
func NewRef() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24).
	return hex.EncodeToString(b[:])
}
