package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestMain lets the test binary be the harness's children too: the smoke
// run starts it again as the backend and the appliance.
func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

// TestSmoke runs the harness for real in smoke mode: every part, with tiny
// counts. It needs Docker, the starter images, Chromium and CHP (make
// testdeps), and fails without them.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED: the smoke run of make bench takes about a minute")
	}
	var stdout, log bytes.Buffer
	out := filepath.Join(t.TempDir(), "results.json")
	// Pinned where the machine can, as make bench runs.
	pinned := runtime.NumCPU() >= 2
	opts := Options{Smoke: true, Rounds: 1, Out: out, Stdout: &stdout, Log: &log, Pinned: pinned}
	err := Run(t.Context(), opts)
	t.Log(log.String())
	if err != nil {
		t.Fatal(err)
	}
	table := stdout.String()
	t.Log(table)
	var res Results
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	// Every measurement has a value for every target it names.
	for _, r := range rows(Options{Smoke: true}) {
		for c, target := range r.cols {
			if target == "" {
				continue
			}
			if len(res.values(r.metric, target)) == 0 {
				t.Errorf("%s (%s): no value for %s", r.label, r.metric, colNames[c])
			}
		}
	}
	// The new rows and columns are among rows' targets, checked above;
	// the table says which mode it is in.
	mode := "unpinned"
	if pinned {
		mode = "pinned: each proxy alone on core 0"
	}
	for _, want := range []string{"| measurement |", "configurable-http-proxy", "Caddy v2", "appliance/CHP", "| CHP-TLS |", "appliance (HTTPS)/CHP-TLS", "proxy CPU per request", mode} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
}
