// Command bench measures the appliance side by side with direct access to
// a backend and with configurable-http-proxy (CHP, the proxy simphony-remote
// 1.0 ran behind JupyterHub), in one run on one machine: HTTP, WebSockets,
// memory, route tables and session starts. `make bench` runs it; it prints
// one markdown table and writes the raw results as JSON.
//
//	go run ./engine/bench [-smoke] [-pinned=false] [-rounds N] [-out FILE] [-profile DIR] [-only PARTS]
//
// The backend and the appliance run in child processes (this binary, run
// again in another mode), so that the appliance's memory is its own and the
// load generator, the proxy and the backend do not share a Go runtime.
// docs/performance.md explains every number.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
)

func main() {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	var opts Options
	flag.BoolVar(&opts.Smoke, "smoke", false, "a short run with tiny counts that exercises every part (seconds per measurement)")
	flag.IntVar(&opts.Rounds, "rounds", 3, "rounds of the repeated measurements (medians and min–max over them)")
	flag.BoolVar(&opts.Pinned, "pinned", runtime.NumCPU() >= 2, "run each proxy alone on core 0 (taskset; Go ones with GOMAXPROCS=1), the load generator and the backend on the other cores (the default with 2 cores or more)")
	flag.StringVar(&opts.Out, "out", "bench-results.json", "where to write the raw results (JSON)")
	flag.StringVar(&opts.ProfileDir, "profile", "", "directory to write the appliance's pprof profiles to (CPU under HTTP load, heap with idle WebSockets)")
	flag.DurationVar(&opts.Latency, "latency", 0, "how long the desktop start's browser waits for each answer, as a user away from the appliance would (Chromium's network emulation; 0: none)")
	only := flag.String("only", "", "measure only these parts, comma-separated: "+strings.Join(parts, ", "))
	flag.Parse()
	if *only != "" {
		opts.Only = strings.Split(*only, ",")
	}
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bench takes no arguments, got %q\n", flag.Args())
		os.Exit(2)
	}
	// Ctrl-C cancels the run; the cleanup (containers, processes, temporary
	// files) still runs, and further Ctrl-Cs do not cut it short.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts.Stdout, opts.Log = os.Stdout, os.Stderr
	if err := Run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		stop()
		os.Exit(1)
	}
}
