package images

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docker/docker/pkg/jsonmessage"
)

// tailLines is how much of the build's output an error shows.
const tailLines = 20

// readBuild follows Docker's build stream to its end. It writes the step
// lines, apt's errors and Docker's final lines to w, prefixed with name,
// and returns the build's error with the last lines of output before it.
func readBuild(r io.Reader, w io.Writer, name string) error {
	dec := json.NewDecoder(r)
	var tail []string
	for {
		var m jsonmessage.JSONMessage
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the build's output: %w", err)
		}
		if m.Error != nil {
			msg := strings.TrimSpace(m.Error.Message)
			if len(tail) > 0 {
				msg += "; the build's last output:\n  " + strings.Join(tail, "\n  ")
			}
			return errors.New(msg)
		}
		for _, line := range strings.Split(m.Stream, "\n") {
			line = strings.TrimRight(line, " \r")
			if strings.TrimSpace(line) == "" {
				continue
			}
			if tail = append(tail, line); len(tail) > tailLines {
				tail = tail[1:]
			}
			if concise(line) {
				fmt.Fprintf(w, "%s: %s\n", name, shorten(line, 120))
			}
		}
	}
}

// concise picks the lines worth showing while a build runs.
func concise(line string) bool {
	for _, p := range []string{"Step ", "Successfully ", "E: ", "ERROR", "error:"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// lineWriter calls fn with each complete line written to it.
type lineWriter struct {
	fn  func(string)
	buf []byte
}

func (lw *lineWriter) Write(p []byte) (int, error) {
	lw.buf = append(lw.buf, p...)
	for {
		i := strings.IndexByte(string(lw.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		lw.fn(strings.TrimRight(string(lw.buf[:i]), "\r"))
		lw.buf = lw.buf[i+1:]
	}
}

// Flush passes on an unterminated last line.
func (lw *lineWriter) Flush() {
	if len(lw.buf) > 0 {
		lw.fn(string(lw.buf))
		lw.buf = nil
	}
}
