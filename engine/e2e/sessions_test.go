package e2e

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/session"
)

// realmContainers counts the containers of the appliance's realm.
func realmContainers(t *testing.T, s *setup) int {
	t.Helper()
	dc := dockertest.Require(t)
	list, err := dc.API().ContainerList(t.Context(), container.ListOptions{
		All: true, Filters: filters.NewArgs(filters.Arg("label", protocol.LabelRealm+"="+s.Config.Realm)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// Starting a grant that runs returns the running session, from the API and
// from a stale portal tab; nothing is replaced.
func TestSecondStartReturnsTheRunningSession(t *testing.T) {
	s := newSetup(t)
	alice := tokenFor(t, s.Server, "alice", "password-alice")
	var first, second wire.Container
	alice.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: s.aliceID}, http.StatusCreated, &first)
	code, body, hdr := alice.do("POST", "/api/v1/containers", wire.StartRequest{MappingID: s.aliceID})
	if code != http.StatusOK || hdr.Get("Location") != "/api/v1/containers/"+first.URLID {
		t.Fatalf("second start: %d, Location %q: %s", code, hdr.Get("Location"), body)
	}
	alice.json("GET", "/api/v1/containers/"+first.URLID, nil, http.StatusOK, &second)
	if !strings.Contains(string(body), first.URLID) || second.Started != first.Started {
		t.Errorf("second start answered %s; the session is now %+v, want %+v", body, second, first)
	}
	// The portal's Start, from a tab that does not know the session runs.
	browser := s.Login("alice", "password-alice")
	if path := s.start(t, browser, s.aliceID); path != first.URLPath {
		t.Errorf("the portal opened %q, want the running %q", path, first.URLPath)
	}
	if n := realmContainers(t, s); n != 1 {
		t.Errorf("%d containers after three starts, want 1", n)
	}
}

// A stop whose client drops the connection still stops: the container and
// the route go at once, not when Docker notices later.
func TestStopSurvivesADroppedClient(t *testing.T) {
	s := newSetup(t)
	alice := tokenFor(t, s.Server, "alice", "password-alice")
	var c wire.Container
	alice.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: s.aliceID}, http.StatusCreated, &c)

	events, done := s.App.Sessions().Subscribe()
	defer done()
	// The browser sends the whole stop and goes away at once, before the
	// answer: the request reaches the appliance (it is in the connection
	// before the close), which then sees its client gone mid-stop. (A
	// client cancelled after a fixed delay could go before the request
	// even arrived, on a busy machine.)
	cfg := s.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	cfg.NextProtos = []string{"http/1.1"}
	host := strings.TrimPrefix(s.URL, "https://")
	conn, err := tls.Dial("tcp", host, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "DELETE /api/v1/containers/%s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: 0\r\n\r\n", c.URLID, host, alice.token)
	conn.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, _, _ := alice.do("GET", "/api/v1/containers/"+c.URLID, nil)
		if code == http.StatusNotFound && realmContainers(t, s) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after a stop whose client left: the session answers %d, %d containers remain", code, realmContainers(t, s))
		}
	}
	// The stop itself ended the session (not Docker reporting the
	// container's death later).
	for {
		select {
		case e := <-events:
			if e.Kind != session.EventStopped || e.URLID != c.URLID {
				continue
			}
			if e.Message != "stopped by alice" {
				t.Errorf("the session ended with %q, want the stop's own %q", e.Message, "stopped by alice")
			}
			return
		default:
			t.Fatal("no stopped event for the session")
		}
	}
}

// After a restart, a session keeps the time its container started.
func TestRestartKeepsTheStartTime(t *testing.T) {
	s := newSetup(t)
	alice := tokenFor(t, s.Server, "alice", "password-alice")
	var before, after wire.Container
	alice.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: s.aliceID}, http.StatusCreated, &before)
	s.Restart()
	alice.json("GET", "/api/v1/containers/"+before.URLID, nil, http.StatusOK, &after)
	dc := dockertest.Require(t)
	list, err := dc.API().ContainerList(t.Context(), container.ListOptions{
		Filters: filters.NewArgs(filters.Arg("label", protocol.LabelURLID+"="+before.URLID)),
	})
	if err != nil || len(list) != 1 {
		t.Fatalf("the session's container: %d found, %v", len(list), err)
	}
	info, err := dc.API().ContainerInspect(t.Context(), list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	started, err := time.Parse(time.RFC3339Nano, info.State.StartedAt)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Started.Equal(started.UTC()) || after.Started.After(before.Started) {
		t.Errorf("started %s after the restart (%s before it), want the container's start %s", after.Started, before.Started, started)
	}
}
