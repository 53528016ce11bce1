package images

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/pkg/jsonmessage"

	"github.com/simphony/simphony-remote/engine/human"
)

// tailLines is how much of the build's output an error shows.
const tailLines = 20

// The pace of progress lines: apt's progress at most every aptEvery, and a
// line saying the step still runs after tickEvery without one.
const (
	aptEvery  = 5 * time.Second
	tickEvery = 15 * time.Second
)

// readBuild follows Docker's build stream to its end. It writes the step
// lines, apt's progress and errors, and Docker's final lines to w, prefixed
// with name, and a line every tickEvery while a step runs without them; it
// returns the build's error with the last lines of output before it.
func readBuild(r io.Reader, w io.Writer, name string) error {
	p := newBuildProgress(w, name, time.Now)
	defer p.ticking()()

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
			p.line(line)
		}
	}
}

// buildProgress picks, from a build's output, the lines to show: Docker's
// steps, errors and final lines at once, apt's progress at most every
// aptEvery ("installing packages: 37/120 (Unpacking xterm)"), and, from
// tick, a line with the elapsed time when nothing was shown for tickEvery.
// One line each, so that the output reads well in a file too.
type buildProgress struct {
	w    io.Writer
	name string
	now  func() time.Time

	mu    sync.Mutex
	shown time.Time // when a line was last written
	step  string    // the step under way ("Step 3/8"), if any
	began time.Time // when it began, or the whole if none
	apt   aptProgress
}

func newBuildProgress(w io.Writer, name string, now func() time.Time) *buildProgress {
	t := now()
	return &buildProgress{w: w, name: name, now: now, shown: t, began: t}
}

// ticking calls tick every second until the returned stop is called.
func (p *buildProgress) ticking() (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.tick()
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// show writes line as it is.
func (p *buildProgress) show(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.write(p.now(), line)
}

// line takes one line of a Docker build's output.
func (p *buildProgress) line(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if strings.HasPrefix(line, "Step ") {
		p.step, _, _ = strings.Cut(line, " :")
		p.began, p.apt = now, aptProgress{}
	}
	if concise(line) {
		p.write(now, shorten(line, 120))
		return
	}
	if msg, urgent := p.apt.read(line); msg != "" && (urgent || now.Sub(p.shown) >= aptEvery) {
		p.write(now, msg)
	}
}

// tick writes how long the step (or the whole) has run when nothing was
// shown for tickEvery.
func (p *buildProgress) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if now.Sub(p.shown) < tickEvery {
		return
	}
	msg := "still running, for " + human.Duration(now.Sub(p.began))
	if p.step != "" {
		msg = p.step + " " + msg
	}
	p.write(now, msg)
}

func (p *buildProgress) write(now time.Time, msg string) {
	fmt.Fprintf(p.w, "%s: %s\n", p.name, msg)
	p.shown = now
}

// aptProgress counts apt-get's work in one build step.
type aptProgress struct {
	total, fetched, unpacked, configured int
}

var (
	aptSummary = regexp.MustCompile(`^(\d+) upgraded, (\d+) newly installed`)
	aptGet     = regexp.MustCompile(`^Get:(\d+) `)
	aptDpkg    = regexp.MustCompile(`^(Unpacking|Setting up) (\S+) `)
)

// read takes one line of apt-get's output and returns the progress it
// tells, if any, and whether it is worth showing at once.
func (a *aptProgress) read(line string) (msg string, urgent bool) {
	if m := aptSummary.FindStringSubmatch(line); m != nil {
		up, _ := strconv.Atoi(m[1])
		inst, _ := strconv.Atoi(m[2])
		a.total = up + inst
		return fmt.Sprintf("installing %d packages", a.total), true
	}
	if m := aptGet.FindStringSubmatch(line); m != nil {
		if a.total == 0 { // apt-get update
			return "updating the package lists", false
		}
		a.fetched, _ = strconv.Atoi(m[1])
		return "downloading packages: " + a.count(a.fetched), false
	}
	if m := aptDpkg.FindStringSubmatch(line); m != nil {
		if m[1] == "Unpacking" {
			a.unpacked++
			return fmt.Sprintf("installing packages: %s (Unpacking %s)", a.count(a.unpacked), m[2]), false
		}
		a.configured++
		return fmt.Sprintf("configuring packages: %s (Setting up %s)", a.count(a.configured), m[2]), false
	}
	return "", false
}

func (a *aptProgress) count(n int) string {
	if a.total > 0 {
		return fmt.Sprintf("%d/%d", n, a.total)
	}
	return strconv.Itoa(n)
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
