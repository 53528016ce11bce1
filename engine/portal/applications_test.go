package portal_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/session"
)

func TestApplications(t *testing.T) {
	e := newEnv(t)
	rt := e.start(t, "alice", e.aliceDesktop)
	apps, err := e.svc.Applications(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !apps.Answering || len(apps.List) != 3 {
		t.Fatalf("Applications = %+v, want alice's 3 grants with Docker answering", apps)
	}
	for _, a := range apps.List {
		if a.Grant.User != "alice" {
			t.Errorf("alice is shown %s's grant %s", a.Grant.User, a.Grant.MappingID)
		}
		switch a.Grant.MappingID {
		case e.aliceDesktop:
			if !a.Available || a.Image.UIName != "Desktop" || a.Running == nil || a.Running.URLID != rt.URLID {
				t.Errorf("the running desktop: %+v", a)
			}
		case e.aliceWebapp:
			if !a.Available || a.Image.UIName != "Web app" || a.Running != nil {
				t.Errorf("the web app, not running: %+v", a)
			}
		case e.aliceMissing:
			if a.Available || !errors.Is(a.Err, session.ErrImageNotFound) {
				t.Errorf("the missing image: %+v", a)
			}
		}
	}

	t.Run("Docker down", func(t *testing.T) {
		e.dockerDown = true
		defer func() { e.dockerDown = false }()
		apps, err := e.svc.Applications(t.Context(), "alice")
		if err != nil || apps.Answering || len(apps.List) != 3 || apps.List[0].Available {
			t.Errorf("Applications with Docker down = %+v, %v; want the grants, not answering", apps, err)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		apps, err := e.svc.Applications(t.Context(), "nobody")
		if err != nil || len(apps.List) != 0 {
			t.Errorf("Applications(nobody) = %+v, %v; want none", apps, err)
		}
	})
}

func TestStart(t *testing.T) {
	e := newEnv(t)
	rt := e.start(t, "alice", e.aliceDesktop)
	e.wantEntry(t, audit.SessionStart, rt.URLID, "mapping "+e.aliceDesktop+", image "+desktop, audit.ResultOK)
	if got := e.last(t); got.Actor != "alice" || got.Address != address {
		t.Errorf("the entry's actor: %q from %q, want alice from %s", got.Actor, got.Address, address)
	}

	again := e.start(t, "alice", e.aliceDesktop)
	if !again.Existing || again.URLID != rt.URLID {
		t.Errorf("a second start = %+v, want the running session", again)
	}
	e.wantEntry(t, audit.SessionStart, rt.URLID, "mapping "+e.aliceDesktop+", image "+desktop+": already running", audit.ResultOK)

	t.Run("another's mapping", func(t *testing.T) {
		_, err := e.svc.Start(as(t, "alice"), "alice", e.bobDesktop, nil)
		var inv *accounting.InvalidError
		if !errors.As(err, &inv) || inv.What != "mapping_id" || !errors.Is(err, session.ErrNotFound) {
			t.Errorf("starting bob's grant as alice: %v, want an invalid mapping_id that is not found", err)
		}
		e.wantEntry(t, audit.SessionStart, e.bobDesktop, "mapping "+e.bobDesktop, audit.ResultFailed)
	})
	t.Run("failure", func(t *testing.T) {
		e.sessions.startErr = session.ErrNotReady
		defer func() { e.sessions.startErr = nil }()
		_, err := e.svc.Start(as(t, "alice"), "alice", e.aliceWebapp, nil)
		wantErr(t, "a start that fails", err, session.ErrNotReady)
		e.wantEntry(t, audit.SessionStart, e.aliceWebapp, "mapping "+e.aliceWebapp, audit.ResultFailed)
	})
	t.Run("actor from the user", func(t *testing.T) {
		e.start(t, "alice", e.aliceWebapp)
		if _, err := e.svc.Start(t.Context(), "alice", e.aliceWebapp, nil); err != nil {
			t.Fatal(err)
		}
		if got := e.last(t); got.Actor != "alice" {
			t.Errorf("a start with no actor in its context is recorded as %q's, want alice's", got.Actor)
		}
	})
}

func TestStopAndSession(t *testing.T) {
	e := newEnv(t)
	rt := e.start(t, "alice", e.aliceDesktop)
	bobs := e.start(t, "bob", e.bobDesktop)

	if got, err := e.svc.Session("alice", rt.URLID); err != nil || got.URLID != rt.URLID {
		t.Errorf("Session(alice, hers) = %+v, %v", got, err)
	}
	_, err := e.svc.Session("alice", bobs.URLID)
	wantErr(t, "Session(alice, bob's)", err, session.ErrNotFound)
	if list := e.svc.Sessions("alice"); len(list) != 1 || list[0].URLID != rt.URLID {
		t.Errorf("Sessions(alice) = %+v, want hers only", list)
	}

	n := len(e.entries(t))
	wantErr(t, "alice stopping bob's session", e.svc.Stop(as(t, "alice"), "alice", bobs.URLID), session.ErrNotFound)
	e.noNewEntry(t, n)
	if _, ok := e.sessions.Get(bobs.URLID); !ok {
		t.Error("alice stopped bob's session")
	}

	if err := e.svc.Stop(as(t, "alice"), "alice", rt.URLID); err != nil {
		t.Fatal(err)
	}
	e.wantEntry(t, audit.SessionStop, rt.URLID, "", audit.ResultOK)

	e.sessions.stopErr = session.ErrInProgress
	wantErr(t, "a stop that fails", e.svc.Stop(as(t, "bob"), "bob", bobs.URLID), session.ErrInProgress)
	e.wantEntry(t, audit.SessionStop, bobs.URLID, "", audit.ResultFailed)
}

// A start in the background outlives its request, writes its audit entry,
// and Close waits for it (the appliance closes the store after Close);
// after Close, such starts are refused.
func TestStartInBackground(t *testing.T) {
	e := newEnv(t)
	e.sessions.startGate = make(chan struct{})
	ctx, cancel := context.WithCancel(as(t, "alice"))
	outcome := make(chan error, 1)
	if err := e.svc.StartInBackground(ctx, "alice", e.aliceDesktop, nil, func(_ session.Started, err error) { outcome <- err }); err != nil {
		t.Fatal(err)
	}
	cancel() // the browser went away
	closed := make(chan struct{})
	go func() { e.svc.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while a start was under way")
	case <-time.After(200 * time.Millisecond):
	}
	close(e.sessions.startGate)
	<-closed
	select {
	case err := <-outcome:
		if err != nil {
			t.Errorf("the start in the background = %v, want it done although its request ended", err)
		}
	default:
		t.Fatal("Close returned before the start told its outcome")
	}
	if got := e.last(t); got.Action != audit.SessionStart || got.Result != audit.ResultOK || got.Actor != "alice" {
		t.Errorf("the audit entry of the start in the background: %+v", got)
	}
	err := e.svc.StartInBackground(as(t, "alice"), "alice", e.aliceWebapp, nil, func(session.Started, error) {
		t.Error("a start after Close ran")
	})
	wantErr(t, "a start in the background after Close", err, session.ErrShuttingDown)
}
