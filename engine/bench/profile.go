package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// profile is a pprof profile being taken from the appliance child, written
// to -profile's directory by save. A nil profile does nothing.
type profile struct {
	r    *rig
	name string
	done chan []byte
}

// startCPUProfile profiles the appliance's CPU for about d, from now.
func (r *rig) startCPUProfile(ctx context.Context, d time.Duration) *profile {
	if r.opts.ProfileDir == "" {
		return nil
	}
	secs := int(math.Max(1, math.Round(d.Seconds())))
	return r.fetchProfile(ctx, r.app.ctl, "appliance-cpu.pprof", fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs))
}

// heapProfile takes a heap profile of the appliance behind ctl now, and a dump of
// its goroutines (their stacks are most of an idle connection's memory).
func (r *rig) heapProfile(ctx context.Context, ctl *controlClient, name string) {
	if r.opts.ProfileDir == "" {
		return
	}
	r.fetchProfile(ctx, ctl, name, "/debug/pprof/heap?gc=1").save()
	r.fetchProfile(ctx, ctl, strings.TrimSuffix(name, ".pprof")+"-goroutines.txt", "/debug/pprof/goroutine?debug=1").save()
}

func (r *rig) fetchProfile(ctx context.Context, ctl *controlClient, name, path string) *profile {
	p := &profile{r: r, name: name, done: make(chan []byte, 1)}
	go func() {
		var out []byte
		defer func() { p.done <- out }()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ctl.base+path, nil)
		if err != nil {
			return
		}
		resp, err := ctl.http.Do(req)
		if err != nil {
			r.logf("profiling: %v", err)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			out, _ = io.ReadAll(resp.Body)
		}
	}()
	return p
}

// save waits for the profile and writes it.
func (p *profile) save() {
	if p == nil {
		return
	}
	b := <-p.done
	if len(b) == 0 {
		return
	}
	path := filepath.Join(p.r.opts.ProfileDir, p.name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		p.r.logf("writing %s: %v", path, err)
		return
	}
	p.r.logf("wrote %s", path)
}
