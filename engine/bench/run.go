package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/simphony/simphony-remote/engine/websockets"
)

// Options are a run's settings.
type Options struct {
	// Smoke is a short run with tiny counts that still exercises every
	// part.
	Smoke bool
	// Rounds repeats the measurements, interleaving the targets.
	Rounds int
	// Out receives the raw results as JSON ("" for none).
	Out string
	// ProfileDir, when set, receives the appliance's pprof profiles.
	ProfileDir string
	// Pinned runs each proxy alone on core 0 (Go ones with GOMAXPROCS=1)
	// and the harness, the backend and everything else on the other
	// cores; it needs 2 cores and taskset.
	Pinned bool
	// Latency, when set, is how far the desktop start's browser is from
	// the appliance: Chromium waits that long for each answer (its network
	// emulation), as a user elsewhere would.
	Latency time.Duration
	// Only, when set, limits the run to these parts (http, websocket,
	// memory, sessions, pixel, console, routes).
	Only []string
	// Stdout receives the table; Log the progress.
	Stdout, Log io.Writer
}

// The sizes of the measurements, full and smoke.

func (o Options) duration() time.Duration {
	if o.Smoke {
		return 400 * time.Millisecond
	}
	return 3 * time.Second
}

func (o Options) fixedRate() int { return 1000 }

func (o Options) idleSockets() int {
	if o.Smoke {
		// More than the appliance's default cap per user (100), so that
		// the smoke run sees a cap the full run would hit.
		return 120
	}
	// A lab's thousands of mostly idle desktops: 10,000, or as many as
	// the limit on open files lets a proxy carry (two descriptors each;
	// raiseFileLimit lifts it as far as it may).
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 10000
	}
	return websockets.FitTotal(10000, l.Cur)
}

func (o Options) users() int {
	if o.Smoke {
		return 20
	}
	return 1000
}

func (o Options) routeLevels() []int {
	if o.Smoke {
		return []int{10, 100}
	}
	return []int{10, 1000, 10000, 100000}
}

func (o Options) singleStarts() int {
	if o.Smoke {
		return 1
	}
	return 3
}

func (o Options) concurrentStarts() []int {
	if o.Smoke {
		return []int{2}
	}
	return []int{10, 50}
}

// Run measures everything and reports.
func Run(ctx context.Context, o Options) error {
	if o.Rounds < 1 {
		return errors.New("-rounds must be at least 1")
	}
	for _, p := range o.Only {
		if !slices.Contains(parts, p) {
			return fmt.Errorf("-only: unknown part %q (known: %s)", p, strings.Join(parts, ", "))
		}
	}
	if o.Smoke && o.Rounds > 1 {
		o.Rounds = 1
	}
	if o.ProfileDir != "" {
		if err := os.MkdirAll(o.ProfileDir, 0o755); err != nil {
			return err
		}
	}
	began := time.Now()
	fmt.Fprintf(o.Log, "bench: starting the backend, the appliance and CHP…\n")
	r, err := newRig(ctx, o)
	if err != nil {
		return err
	}
	defer r.close()
	res := &Results{Smoke: o.Smoke, Rounds: o.Rounds, Started: began}
	res.Header = r.versions(ctx)
	if err := r.measure(ctx, res); err != nil {
		return err
	}
	res.Duration = time.Since(began).Round(time.Second).String()
	res.Table = table(res, o)
	out := res.Header.markdown() + "\n" + res.Table
	for _, n := range res.Notes {
		out += "\n- " + n
	}
	fmt.Fprintf(o.Stdout, "\n%s\n\nTook %s.", out, res.Duration)
	if o.Out != "" {
		if err := res.write(o.Out); err != nil {
			return err
		}
		abs, _ := filepath.Abs(o.Out)
		fmt.Fprintf(o.Stdout, " Raw results: %s", abs)
	}
	fmt.Fprintln(o.Stdout)
	return nil
}

// measure runs the rounds, then the route tables.
func (r *rig) measure(ctx context.Context, res *Results) error {
	phases := []struct {
		name string
		fn   func(ctx context.Context, res *Results, round int) error
	}{
		{"http", r.measureHTTP},
		{"websocket", r.measureWebSocket},
		{"memory", r.measureMemory},
		{"sessions", r.measureSessions},
		{"pixel", r.measurePixel},
		{"console", r.measureConsole},
	}
	for round := range r.opts.Rounds {
		for _, p := range phases {
			if !r.opts.runs(p.name) {
				continue
			}
			t0 := time.Now()
			r.logf("round %d/%d: %s…", round+1, r.opts.Rounds, p.name)
			if err := p.fn(ctx, res, round); err != nil {
				return fmt.Errorf("round %d, %s: %w", round+1, p.name, err)
			}
			r.logf("round %d/%d: %s took %s", round+1, r.opts.Rounds, p.name, time.Since(t0).Round(100*time.Millisecond))
		}
	}
	if !r.opts.runs("routes") {
		return nil
	}
	t0 := time.Now()
	r.logf("routes…")
	if err := r.measureRoutes(ctx, res); err != nil {
		return fmt.Errorf("routes: %w", err)
	}
	r.logf("routes took %s", time.Since(t0).Round(100*time.Millisecond))
	return nil
}

// runs says whether a part is measured.
func (o Options) runs(part string) bool {
	return len(o.Only) == 0 || slices.Contains(o.Only, part)
}

// parts are the names -only accepts.
var parts = []string{"http", "websocket", "memory", "sessions", "pixel", "console", "routes"}

// rotate returns items starting at round's offset, so that each round
// measures the targets in another order.
func rotate[T any](items []T, round int) []T {
	if len(items) == 0 {
		return items
	}
	k := round % len(items)
	return append(append([]T{}, items[k:]...), items[:k]...)
}
