package docker_test

import (
	"errors"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/session"
)

// within runs f and fails the test unless it returns within limit.
func within(t *testing.T, what string, limit time.Duration, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		t.Fatalf("%s did not return within %s with a Docker Engine that never answers", what, limit)
		return nil
	}
}

// A Docker Engine that accepts connections and never answers: every call
// ends within the network timeout, even while the event stream waits for
// the engine (it used to hold the client's version negotiation forever).
func TestHangingEngine(t *testing.T) {
	host, accepted := dockertest.Hanging(t)
	cfg := config.Default().Docker
	cfg.Host = host
	cfg.NetworkTimeout = config.Duration(time.Second)
	c, err := docker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rt := docker.NewRuntime(c, "hang-test")

	// The event follower connects first, as at the appliance's start.
	events := make(chan error, 1)
	go func() {
		_, errs := rt.Events(t.Context())
		events <- <-errs
	}()
	select {
	case <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("the event stream did not connect to the engine")
	}

	limit := 3 * time.Second
	calls := []struct {
		name string
		call func() error
	}{
		{"ImageExists", func() error { return c.ImageExists(t.Context(), "img") }},
		{"Ping", func() error { return c.Ping(t.Context()) }},
		{"Images", func() error { _, err := c.Images(t.Context()); return err }},
		{"Inspect", func() error { _, _, err := c.Inspect(t.Context(), "img"); return err }},
		{"Runtime.Image", func() error { _, err := rt.Image(t.Context(), "img"); return err }},
		{"Runtime.List", func() error { _, err := rt.List(t.Context()); return err }},
		{"Runtime.Inspect", func() error { _, err := rt.Inspect(t.Context(), "abc"); return err }},
	}
	for _, tc := range calls {
		err := within(t, tc.name, limit, tc.call)
		if !errors.Is(err, docker.ErrUnreachable) && !errors.Is(err, session.ErrUnavailable) {
			t.Errorf("%s = %v, want an unreachable engine", tc.name, err)
		}
	}
	select {
	case err := <-events:
		if !errors.Is(err, session.ErrUnavailable) {
			t.Errorf("the event stream failed with %v, want ErrUnavailable", err)
		}
	case <-time.After(limit):
		t.Fatalf("the event stream did not fail within %s", limit)
	}
}
