package rfb_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"

	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/images"
	"github.com/simphony/simphony-remote/engine/protocol"
)

// desktop is the starter desktop image running as the appliance runs it.
type desktop struct {
	c    *docker.Client
	id   string
	addr string // 127.0.0.1:port of its noVNC front
	base string // /user/alice/containers/{url_id}/
	dir  string // its /workspace
}

const desktopUser = "alice"

// startDesktop runs the desktop image (built by make images) at 1280×800
// with a fresh workspace owned by 1000:1000.
func startDesktop(t *testing.T) *desktop {
	t.Helper()
	c := dockertest.Require(t)
	if _, err := c.API().ImageInspect(t.Context(), images.Desktop); err != nil {
		msg := "this test needs the starter images (make images): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED: " + msg)
	}
	dir := t.TempDir()
	if err := os.Chown(dir, 1000, 1000); err != nil {
		t.Skipf("SKIPPED: cannot chown the workspace to 1000:1000 (not root?): %v", err)
	}
	urlID := randomHex(t, 16)
	port := nat.Port(fmt.Sprintf("%d/tcp", protocol.ContainerPort))
	init := true
	ctx := t.Context()
	created, err := c.API().ContainerCreate(ctx,
		&container.Config{Image: images.Desktop, ExposedPorts: nat.PortSet{port: {}}, Env: []string{
			protocol.EnvJPYUser + "=" + desktopUser,
			protocol.EnvBaseURL + "=" + protocol.BaseURL(desktopUser),
			protocol.EnvUser + "=" + protocol.UnixUser(desktopUser),
			protocol.EnvURLID + "=" + urlID,
			protocol.EnvX11Width + "=1280", protocol.EnvX11Height + "=800", protocol.EnvX11Depth + "=24",
		}},
		&container.HostConfig{
			Init:         &init,
			SecurityOpt:  []string{"no-new-privileges"},
			PortBindings: nat.PortMap{port: {{HostIP: "127.0.0.1"}}},
			Binds:        []string{dir + ":/workspace"},
		}, nil, nil, "simphony-remote-rfb-test-"+randomHex(t, 4))
	if err != nil {
		t.Fatalf("creating the desktop container: %v", err)
	}
	d := &desktop{c: c, id: created.ID, base: protocol.URLPath(desktopUser, urlID), dir: dir}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the desktop's last logs:\n%s", d.logs())
		}
		_ = c.API().ContainerRemove(context.Background(), d.id, container.RemoveOptions{Force: true})
	})
	if err := c.API().ContainerStart(ctx, d.id, container.StartOptions{}); err != nil {
		t.Fatalf("starting the desktop container: %v", err)
	}
	info, err := c.API().ContainerInspect(ctx, d.id)
	if err != nil {
		t.Fatal(err)
	}
	b := info.NetworkSettings.Ports[port]
	if len(b) != 1 || b[0].HostPort == "" {
		t.Fatalf("port bindings %+v", b)
	}
	d.addr = "127.0.0.1:" + b[0].HostPort
	return d
}

// logs is the end of the container's output.
func (d *desktop) logs() string {
	rc, err := d.c.API().ContainerLogs(context.Background(), d.id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: "80"})
	if err != nil {
		return err.Error()
	}
	defer rc.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, rc) // multiplexed: a few header bytes a line
	return b.String()
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// poll calls f until it succeeds, failing the test when the container
// stops or after timeout.
func (d *desktop) poll(t *testing.T, what string, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if info, ierr := d.c.API().ContainerInspect(t.Context(), d.id); ierr == nil && !info.State.Running {
			t.Fatalf("%s: the desktop stopped (exit code %d): %v", what, info.State.ExitCode, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ready waits for the VNC server (the front answers its index with a
// redirect once it does) and for the terminal.
func (d *desktop) ready(t *testing.T) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	d.poll(t, "the desktop's VNC server", 120*time.Second, func() error {
		resp, err := client.Get("http://" + d.addr + d.base)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
	d.poll(t, "the terminal and the text editor", 60*time.Second, func() error {
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
	d.poll(t, "the text editor's end", 20*time.Second, func() error {
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
	created, err := d.c.API().ContainerExecCreate(ctx, d.id, container.ExecOptions{Cmd: []string{"bash", "-c", script}, User: "1000:1000"})
	if err != nil {
		t.Fatalf("exec in the desktop: %v", err)
	}
	if err := d.c.API().ContainerExecStart(ctx, created.ID, container.ExecStartOptions{Detach: true}); err != nil {
		t.Fatalf("exec in the desktop: %v", err)
	}
	d.poll(t, "exec in the desktop", 20*time.Second, func() error {
		info, err := d.c.API().ContainerExecInspect(ctx, created.ID)
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
	top, err := d.c.API().ContainerTop(t.Context(), d.id, []string{"-o", "pid,comm"})
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
