package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/simphony/simphony-remote/app"
	"github.com/simphony/simphony-remote/app/apptest"
)

// deskConsole is the desktop console's build and the display it opens on.
type deskConsole struct {
	bin     string
	display *apptest.Display
}

func (c *deskConsole) close() {
	if c != nil && c.display != nil {
		c.display.Close()
	}
}

// measureConsole opens the desktop console under Xvfb next to the
// appliance and measures the time from its start to its first painted page
// (the dashboard: the window's part of the screen has many colours, read
// from Xvfb's screen), and then its memory: the window's process, and
// with WebKit's processes (the page's and the network's).
func (r *rig) measureConsole(ctx context.Context, res *Results, round int) error {
	if r.console == nil {
		if miss := apptest.Missing(); miss != "" {
			return fmt.Errorf("the desktop console needs %s", miss)
		}
		c := &deskConsole{}
		r.logf("building the desktop console…")
		var err error
		if c.bin, err = apptest.Build(ctx, r.dir); err != nil {
			return err
		}
		if c.display, err = apptest.StartDisplay(r.dir, 1280, 900); err != nil {
			return err
		}
		r.console = c
	}
	c := r.console
	cmd := exec.CommandContext(ctx, c.bin, "console", "--data", r.app.cfg.DataDir)
	cmd.Env = append(c.display.Env(), "SIMPHONY_REMOTE_LOG_LEVEL=warn")
	var out bytes.Buffer // what it says, for an error
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	// Its output is complete once it has ended.
	ended := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(ended) }()
	defer func() {
		_ = cmd.Process.Kill()
		<-ended
	}()
	var win string
	var geo image.Rectangle
	var painted time.Duration
	for deadline := t0.Add(2 * time.Minute); painted == 0; time.Sleep(10 * time.Millisecond) {
		select {
		case <-ended:
			return fmt.Errorf("the console ended (%v) before it showed a page; its output:\n%s", waitErr, lastLines(out.String(), 40))
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-ended
			return fmt.Errorf("the console's window (%q) showed no page within 2 minutes; its output:\n%s", win, lastLines(out.String(), 40))
		}
		if win == "" {
			if win = c.display.Window(ctx, app.Title); win == "" {
				continue
			}
			var err error
			if geo, err = c.display.Geometry(ctx, win); err != nil {
				return err
			}
		}
		shot, err := c.display.Screen()
		if err != nil {
			return err
		}
		if apptest.Colours(shot, geo, 16) >= 16 {
			painted = time.Since(t0)
		}
	}
	res.add(Sample{Metric: "console.paint", Target: tTLS, Round: round, Value: painted.Seconds(), Unit: "s"})
	// Its memory once the dashboard has settled.
	time.Sleep(2 * time.Second)
	own, err := readStatus(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return err
	}
	total, webkit := own.RSSKB, descendants(cmd.Process.Pid)
	for _, pid := range webkit {
		if m, err := readStatus(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
			total += m.RSSKB
		}
	}
	res.add(Sample{Metric: "console.rss", Target: tTLS, Round: round, Value: float64(own.RSSKB) / 1024, Unit: "MiB"})
	res.add(Sample{Metric: "console.rss_total", Target: tTLS, Round: round, Value: float64(total) / 1024, Unit: "MiB",
		Extra: map[string]any{"processes": 1 + len(webkit)}})
	return nil
}

// descendants are the processes below pid (from /proc's parent ids).
func descendants(pid int) []int {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces, so read after ")".
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i > 0 {
			if f := strings.Fields(s[i+1:]); len(f) > 1 {
				parent[p], _ = strconv.Atoi(f[1])
			}
		}
	}
	var out []int
	for p, pp := range parent {
		for up := pp; up > 1; up = parent[up] {
			if up == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
