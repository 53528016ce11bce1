package rfb_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/images"
	"github.com/simphony/simphony-remote/engine/protocol"
)

// desktop is the starter desktop image running as the appliance runs it.
type desktop struct {
	*dockertest.Session
	dir string // its /workspace
}

const desktopUser = "alice"

// startDesktop runs the desktop image (built by make images) at 1280×800
// with a fresh workspace owned by 1000:1000.
func startDesktop(t *testing.T) *desktop {
	t.Helper()
	c := dockertest.Require(t)
	dockertest.RequireImage(t, c, images.Desktop)
	dir := dockertest.Workspace(t)
	s := dockertest.StartSession(t, c, images.Desktop, desktopUser, dir, map[string]string{
		protocol.EnvX11Width: "1280", protocol.EnvX11Height: "800", protocol.EnvX11Depth: "24",
	})
	return &desktop{Session: s, dir: dir}
}

// ready waits for the VNC server (the front answers its index with a
// redirect once it does) and for the terminal.
func (d *desktop) ready(t *testing.T) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	d.Poll(t, "the desktop's VNC server", 120*time.Second, func() error {
		resp, err := client.Get("http://" + d.Addr + d.Base)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
	d.Poll(t, "the terminal and the text editor", 60*time.Second, func() error {
		if !d.terminalRuns(t) || !d.runs(t, "mousepad") {
			return errors.New("xterm or mousepad is not running")
		}
		return nil
	})
	// The text editor starts with the terminal, and its window, mapped a
	// few seconds later, takes the focus: keys typed for the terminal
	// then go to the editor. It goes, so that the terminal keeps the
	// focus once given.
	d.exec(t, `for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = mousepad ] && kill ${p#/proc/}; done; true`)
	d.Poll(t, "the text editor's end", 20*time.Second, func() error {
		if d.runs(t, "mousepad") {
			return errors.New("mousepad still runs")
		}
		return nil
	})
}

// exec runs a bash script in the desktop as its user, and waits for it.
func (d *desktop) exec(t *testing.T, script string) {
	t.Helper()
	ctx := t.Context()
	created, err := d.C.API().ContainerExecCreate(ctx, d.ID, container.ExecOptions{Cmd: []string{"bash", "-c", script}, User: "1000:1000"})
	if err != nil {
		t.Fatalf("exec in the desktop: %v", err)
	}
	if err := d.C.API().ContainerExecStart(ctx, created.ID, container.ExecStartOptions{Detach: true}); err != nil {
		t.Fatalf("exec in the desktop: %v", err)
	}
	d.Poll(t, "exec in the desktop", 20*time.Second, func() error {
		info, err := d.C.API().ContainerExecInspect(ctx, created.ID)
		switch {
		case err != nil:
			return err
		case info.Running:
			return errors.New("still running")
		case info.ExitCode != 0:
			t.Fatalf("exec in the desktop: exit code %d", info.ExitCode)
		}
		return nil
	})
}

// runs reports whether a process named command runs in the desktop.
func (d *desktop) runs(t *testing.T, command string) bool {
	top, err := d.C.API().ContainerTop(t.Context(), d.ID, []string{"-o", "pid,comm"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range top.Processes {
		if len(p) > 1 && p[1] == command {
			return true
		}
	}
	return false
}

// terminalRuns reports whether xterm runs in the desktop.
func (d *desktop) terminalRuns(t *testing.T) bool { return d.runs(t, "xterm") }

// exists reports whether the workspace holds name.
func (d *desktop) exists(name string) bool {
	_, err := os.Stat(filepath.Join(d.dir, name))
	return err == nil
}

// waitFile polls for name in the workspace.
func (d *desktop) waitFile(t *testing.T, name string, timeout time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !d.exists(name) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}
