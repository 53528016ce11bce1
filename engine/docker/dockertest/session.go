package dockertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/session"
)

// need stops a test that lacks what it needs: it fails under CI=true
// (never skip silently there) and skips loudly elsewhere.
func need(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip("SKIPPED: " + msg)
}

// RequireImage stops the test when the local engine lacks ref.
func RequireImage(tb testing.TB, c *docker.Client, ref string) {
	tb.Helper()
	if _, err := c.API().ImageInspect(tb.Context(), ref); err != nil {
		need(tb, "this test needs the image "+ref+" (make images builds the starters): "+err.Error())
	}
}

// Workspace returns a temporary directory owned by 1000:1000, as the
// appliance's homes are. It needs root.
func Workspace(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.Chown(dir, 1000, 1000); err != nil {
		need(tb, "cannot chown the workspace to 1000:1000 (not root?): "+err.Error())
	}
	return dir
}

// Session is an application image running as the appliance runs a
// session.
type Session struct {
	C    *docker.Client
	ID   string
	Addr string // 127.0.0.1:port of its HTTP port
	Base string // its URL path, /user/{user}/containers/{url_id}/
}

// StartSession runs image for user through the appliance's own runtime
// (docker.Runtime: init, no-new-privileges, its HTTP port on 127.0.0.1
// only) with the protocol's environment plus env and dir at /workspace.
// The container goes when the test ends; its output is logged first if
// the test failed.
func StartSession(tb testing.TB, c *docker.Client, image, user, dir string, env map[string]string) *Session {
	tb.Helper()
	urlID := randomHex(16)
	spec := session.Spec{
		Name:  "simphony-remote-test-" + randomHex(4),
		Image: image,
		Env: map[string]string{
			protocol.EnvJPYUser: user,
			protocol.EnvBaseURL: protocol.BaseURL(user),
			protocol.EnvUser:    protocol.UnixUser(user),
			protocol.EnvURLID:   urlID,
		},
		Mounts:          []session.Mount{{Source: dir, Target: "/workspace"}},
		NoNewPrivileges: true,
	}
	for k, v := range env {
		spec.Env[k] = v
	}
	rt := docker.NewRuntime(c, "dockertest")
	created, err := rt.Create(tb.Context(), spec)
	if err != nil {
		tb.Fatalf("creating a container of %s: %v", image, err)
	}
	s := &Session{C: c, ID: created.ID, Base: protocol.URLPath(user, urlID)}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("the last output of the %s container:\n%s", image, s.Logs(80))
		}
		_ = c.API().ContainerRemove(context.Background(), s.ID, container.RemoveOptions{Force: true})
	})
	started, err := rt.Start(tb.Context(), s.ID)
	if err != nil {
		tb.Fatalf("starting the %s container: %v", image, err)
	}
	if started.Address == "" {
		tb.Fatalf("the %s container publishes no port on 127.0.0.1", image)
	}
	s.Addr = started.Address
	return s
}

// Logs returns the last lines the container wrote.
func (s *Session) Logs(lines int) string {
	rc, err := s.C.API().ContainerLogs(context.Background(), s.ID, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: strconv.Itoa(lines)})
	if err != nil {
		return err.Error()
	}
	defer rc.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, rc) // multiplexed: a few header bytes a line
	return b.String()
}

// Poll calls f until it succeeds, failing the test when the container
// stops or after timeout.
func (s *Session) Poll(tb testing.TB, what string, timeout time.Duration, f func() error) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if info, ierr := s.C.API().ContainerInspect(tb.Context(), s.ID); ierr == nil && !info.State.Running {
			tb.Fatalf("%s: the container stopped (exit code %d): %v", what, info.State.ExitCode, err)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// RequireRoot stops the test unless it runs as root, saying why it needs
// to: it fails under CI=true and skips loudly elsewhere.
func RequireRoot(tb testing.TB, why string) {
	tb.Helper()
	if os.Geteuid() != 0 {
		need(tb, "this test needs root, "+why)
	}
}
