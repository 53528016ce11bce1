// Package dockertest gives tests a real Docker Engine. Without one, tests
// fail under CI=true (never skip silently there) and skip loudly elsewhere.
package dockertest

import (
	"archive/tar"
	"bytes"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"

	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/docker"
)

// Require returns a client for the local engine, or stops the test.
func Require(tb testing.TB) *docker.Client {
	tb.Helper()
	cfg := config.Default().Docker
	c, err := docker.New(cfg)
	if err == nil {
		err = c.Ping(tb.Context())
	}
	if err != nil {
		need(tb, "this test needs a running Docker Engine (run installer/ensure-docker, or make test): "+err.Error())
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// ImportEmptyImage creates a local image holding a single empty file, as
// `docker import` would, and removes it when the test ends.
func ImportEmptyImage(tb testing.TB, c *docker.Client, ref string) {
	tb.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "empty", Mode: 0o644, Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)})
	_ = tw.Close()
	rc, err := c.API().ImageImport(tb.Context(), image.ImportSource{Source: &buf, SourceName: "-"}, ref, image.ImportOptions{})
	if err != nil {
		tb.Fatalf("importing test image %s: %v", ref, err)
	}
	_, _ = buf.ReadFrom(rc)
	_ = rc.Close()
	tb.Cleanup(func() {
		removeImage(c, ref)
	})
}
