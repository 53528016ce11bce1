package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Header is what a run measured on: versions of everything, the machine.
type Header struct {
	Commit   string `json:"commit"`
	Go       string `json:"go"`
	Caddy    string `json:"caddy"`
	Vegeta   string `json:"vegeta"`
	CHP      string `json:"chp"`
	Node     string `json:"node"`
	Docker   string `json:"docker"`
	Chromium string `json:"chromium"`
	Kernel   string `json:"kernel"`
	CPU      string `json:"cpu"`
	Memory   string `json:"memory"`
	Date     string `json:"date"`
	Mode     string `json:"mode"`
}

func (r *rig) versions(ctx context.Context) Header {
	h := Header{Go: runtime.Version(), Date: time.Now().UTC().Format(time.RFC3339)}
	h.Commit = firstLine(ctx, r.root, "git", "describe", "--always", "--dirty", "--abbrev=12")
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			switch m.Path {
			case "github.com/caddyserver/caddy/v2":
				h.Caddy = m.Version
			case "github.com/tsenart/vegeta/v12":
				h.Vegeta = m.Version
			}
		}
	}
	h.CHP = r.chp.version
	h.Node = firstLine(ctx, "", "node", "--version")
	if v, err := r.docker.API().ServerVersion(ctx); err == nil {
		h.Docker = v.Version
	}
	h.Chromium = firstLine(ctx, "", "chromium", "--version")
	h.Kernel = firstLine(ctx, "", "uname", "-sr")
	h.CPU = fmt.Sprintf("%d × %s", runtime.NumCPU(), cpuModel())
	h.Memory = memTotal()
	h.Mode = fmt.Sprintf("%d rounds", r.opts.Rounds)
	if r.opts.Pinned {
		h.Mode += fmt.Sprintf(", pinned: each proxy alone on core %d (Go ones with GOMAXPROCS=1), load generator and backend on cores %s", proxyCore, otherCores())
	} else {
		h.Mode += ", unpinned: proxies, load generator and backend share every core"
	}
	if r.opts.Latency > 0 {
		h.Mode += fmt.Sprintf("; the desktop start's browser %s away from the appliance (Chromium's network emulation)", r.opts.Latency)
	}
	if r.opts.Smoke {
		h.Mode = "smoke (tiny counts: not a measurement), " + strings.TrimPrefix(h.Mode, fmt.Sprintf("%d rounds, ", r.opts.Rounds))
	}
	return h
}

func (h Header) markdown() string {
	var b strings.Builder
	b.WriteString("SimPhoNy Remote `make bench`")
	fmt.Fprintf(&b, " — %s, %s\n\n", h.Date, h.Mode)
	fmt.Fprintf(&b, "- commit %s; %s, Caddy %s, vegeta %s\n", h.Commit, h.Go, h.Caddy, h.Vegeta)
	fmt.Fprintf(&b, "- configurable-http-proxy %s on Node %s; Docker Engine %s; %s\n", h.CHP, h.Node, h.Docker, h.Chromium)
	fmt.Fprintf(&b, "- %s, %s, %s RAM\n", h.Kernel, h.CPU, h.Memory)
	return b.String()
}

// firstLine runs a command and returns the first line of its output, or
// "unknown".
func firstLine(ctx context.Context, dir, name string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func memTotal() string {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
		}
	}
	return "unknown"
}
