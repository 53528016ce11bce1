package audit_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/audit/audittest"
)

func TestRecord(t *testing.T) {
	alice := audit.WithActor(t.Context(), audit.Actor{Name: "alice", Address: "192.0.2.7"})
	tests := []struct {
		name                   string
		ctx                    context.Context
		detail                 string
		err                    error
		actor, address, result string
		wantDetail             string
	}{
		{"actor from the context", alice, "admin=true", nil, "alice", "192.0.2.7", "ok", "admin=true"},
		{"no actor: system", t.Context(), "", nil, "system", "", "ok", ""},
		{"empty actor: system", audit.WithActor(t.Context(), audit.Actor{Address: "x"}), "", nil, "system", "x", "ok", ""},
		{"failed, with detail", alice, "admin=true", errors.New("user bob: not found"), "alice", "192.0.2.7", "failed", "admin=true; user bob: not found"},
		{"failed, without detail", alice, "", errors.New("boom"), "alice", "192.0.2.7", "failed", "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s audittest.Store
			l := audit.NewLog(&s, zerolog.Nop())
			before := time.Now().Add(-time.Second)
			l.Record(tt.ctx, audit.UserUpdate, "bob", tt.detail, tt.err)
			got := s.Entries()
			if len(got) != 1 {
				t.Fatalf("%d entries, want 1", len(got))
			}
			e := got[0]
			if e.ID != 1 || e.Actor != tt.actor || e.Address != tt.address || e.Action != "user.update" ||
				e.Target != "bob" || e.Detail != tt.wantDetail || e.Result != tt.result {
				t.Errorf("entry %+v", e)
			}
			if e.Time.Location() != time.UTC || e.Time.Before(before) || e.Time.After(time.Now()) {
				t.Errorf("time %v", e.Time)
			}
		})
	}
}

func TestRecordCancelledContext(t *testing.T) {
	var s audittest.Store
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	audit.NewLog(&s, zerolog.Nop()).Record(ctx, audit.UserRemove, "bob", "", nil)
	if n := len(s.Entries()); n != 1 {
		t.Fatalf("%d entries after a cancelled request, want 1: the change may have happened", n)
	}
}

func TestNilLog(t *testing.T) {
	var l *audit.Log
	l.Record(t.Context(), audit.SignIn, "alice", "", nil) // must not panic
	if l.Failures() != 0 {
		t.Error("a nil Log counts failures")
	}
	if audit.NewLog(nil, zerolog.Nop()) != nil {
		t.Error("NewLog(nil store) is not the nil Log")
	}
}

func TestRecordNeverFails(t *testing.T) {
	s := &audittest.Store{Err: errors.New("disk full")}
	var buf bytes.Buffer
	l := audit.NewLog(s, zerolog.New(&buf))
	l.Record(t.Context(), audit.Backup, "database", "", nil)
	l.Record(t.Context(), audit.Backup, "database", "", nil)
	if l.Failures() != 2 {
		t.Errorf("Failures = %d, want 2", l.Failures())
	}
	if out := buf.String(); !strings.Contains(out, "disk full") || !strings.Contains(out, `"action":"backup"`) {
		t.Errorf("the failure was not logged: %s", out)
	}
}

// TestRecordClips: a request cannot fill the log with one entry.
func TestRecordClips(t *testing.T) {
	var s audittest.Store
	l := audit.NewLog(&s, zerolog.Nop())
	long := strings.Repeat("é", 5000)
	l.Record(t.Context(), audit.SignIn, long, long, errors.New(long))
	e := s.Entries()[0]
	if len(e.Target) > 256 || len(e.Detail) > 1024 || !strings.HasSuffix(e.Target, "…") || !strings.HasSuffix(e.Detail, "…") {
		t.Errorf("target %d bytes, detail %d bytes", len(e.Target), len(e.Detail))
	}
	if !strings.HasPrefix(e.Target, "éé") || strings.ContainsRune(e.Target+e.Detail, '\uFFFD') {
		t.Errorf("clipped inside a rune: %q", e.Target)
	}
}

func TestLimit(t *testing.T) {
	for in, want := range map[int]int{-1: 50, 0: 50, 1: 1, 50: 50, 1000: 1000, 1001: 1000} {
		if got := audit.Limit(in); got != want {
			t.Errorf("Limit(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestActorFrom(t *testing.T) {
	if _, ok := audit.ActorFrom(t.Context()); ok {
		t.Error("an empty context has an actor")
	}
	a := audit.Actor{Name: "alice", Address: "::1"}
	if got, ok := audit.ActorFrom(audit.WithActor(t.Context(), a)); !ok || got != a {
		t.Errorf("ActorFrom = %+v, %v", got, ok)
	}
	c := audit.CommandActor()
	if !strings.HasPrefix(c.Name, "command uid ") || c.Address != "local" {
		t.Errorf("CommandActor = %+v", c)
	}
}
