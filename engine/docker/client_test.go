package docker_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
)

func TestImageExists(t *testing.T) {
	c := dockertest.Require(t)
	dockertest.ImportEmptyImage(t, c, "simphony-remote-test/exists:1")

	if err := c.ImageExists(t.Context(), "simphony-remote-test/exists:1"); err != nil {
		t.Errorf("ImageExists(imported image) = %v", err)
	}
	err := c.ImageExists(t.Context(), "simphony-remote-test/absent:1")
	if !errors.Is(err, docker.ErrNotFound) || !strings.Contains(err.Error(), "simphony-remote-test/absent:1") {
		t.Errorf("ImageExists(absent image) = %v, want ErrNotFound naming the image", err)
	}
}

func TestUnreachable(t *testing.T) {
	cfg := config.Default().Docker
	cfg.Host = "unix:///nonexistent/docker.sock"
	cfg.NetworkTimeout = config.Duration(2 * time.Second)
	c, err := docker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.ImageExists(t.Context(), "img")
	if !errors.Is(err, docker.ErrUnreachable) || !strings.Contains(err.Error(), "unix:///nonexistent/docker.sock") {
		t.Errorf("ImageExists with no engine = %v, want ErrUnreachable naming the host", err)
	}
	if err := c.Ping(t.Context()); !errors.Is(err, docker.ErrUnreachable) {
		t.Errorf("Ping with no engine = %v, want ErrUnreachable", err)
	}
}
