package app_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/app"
	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/appliance"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
)

// TestNotifiesFailedStarts: a session that fails to start on the
// appliance becomes a desktop notification naming the user.
func TestNotifiesFailedStarts(t *testing.T) {
	s := appliancetest.Start(t)
	ctx := t.Context()
	st := s.App.Store()
	image := "simphony-remote-test/no-such-image-" + s.Config.Realm + ":latest"
	if err := st.CreateApplication(ctx, accounting.Application{Image: image}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, accounting.User{Name: "frank"}); err != nil {
		t.Fatal(err)
	}
	mapping, err := st.Grant(ctx, "frank", image, accounting.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	m := machineOn(filepath.Join(s.Config.DataDir, appliance.SocketName), nil)
	got := make(chan string, 100)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go m.WatchFailures(wctx, func(title, body string) error { got <- title + ": " + body; return nil }, 100*time.Millisecond)
	// The watcher starts at the end of the log it finds: start (and fail)
	// until it tells.
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := s.App.Sessions().Start(ctx, "frank", mapping, nil); err == nil {
			t.Fatal("a session of an image that does not exist started")
		}
		select {
		case n := <-got:
			if !strings.HasPrefix(n, "A session failed to start: frank could not start an application (mapping "+mapping+")") {
				t.Errorf("the notification: %q", n)
			}
			return
		case <-time.After(500 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no notification of the failed starts within 30 s")
		}
	}
}

// failedLine is the log line of a failed start.
func failedLine(seq uint64, user string) admin.LogLine {
	b, _ := json.Marshal(map[string]any{"level": "warn", "component": "sessions", "user": user, "mapping_id": "m", "error": "no such image", "message": "session start failed"})
	return admin.LogLine{Seq: seq, Line: b}
}

// TestWatchFailuresAcrossRestart: failures already in the log when the
// console opens are not notified; after the appliance starts again (its
// line numbers start again too, here at as many lines as before), the new
// ones are.
func TestWatchFailuresAcrossRestart(t *testing.T) {
	first := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	var calls atomic.Int32
	f := &fakeAppliance{info: admin.Info{Started: first}}
	f.log = func(after uint64) admin.LogPage {
		if calls.Add(1) == 1 {
			// The first appliance's log: a failure at 1; then it restarts.
			f.setStarted(first.Add(time.Minute))
			return admin.LogPage{Lines: []admin.LogLine{failedLine(1, "old")}, Next: 1}
		}
		if after == 0 {
			return admin.LogPage{Lines: []admin.LogLine{failedLine(1, "new")}, Next: 1}
		}
		return admin.LogPage{Next: after}
	}
	m := &app.Machine{Socket: "x", Appliance: f, Log: zerolog.Nop()}
	got := make(chan string, 10)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		m.WatchFailures(ctx, func(_, body string) error { got <- body; return nil }, 10*time.Millisecond)
		close(done)
	}()
	select {
	case n := <-got:
		if !strings.HasPrefix(n, "new could not start an application") {
			t.Errorf("notified %q", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the failure after the restart was not notified")
	}
	cancel()
	<-done
	close(got)
	for n := range got {
		t.Errorf("notified again: %q", n)
	}
}
