package history_test

import (
	"context"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/history"
	"github.com/simphony/simphony-remote/engine/session"
)

// clock is a settable clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func TestSnapshotFromEvents(t *testing.T) {
	c := &clock{t: t0}
	h := history.New(c.now)
	// Two starts at 10:05 and 10:07 (2 s and 4 s), a failure at 10:30, a
	// stop at 11:15, and a start 25 hours ago that is out of the window.
	h.Observe(session.Event{Kind: session.EventStarted, Time: t0.Add(-25 * time.Hour), Took: time.Second}, 1)
	h.Observe(session.Event{Kind: session.EventStopped, Time: t0.Add(-25*time.Hour + time.Minute)}, 0)
	h.Observe(session.Event{Kind: session.EventStarted, Time: t0.Add(-115 * time.Minute), Took: 2 * time.Second}, 1)
	h.Observe(session.Event{Kind: session.EventStarted, Time: t0.Add(-113 * time.Minute), Took: 4 * time.Second}, 2)
	h.Observe(session.Event{Kind: session.EventFailed, Time: t0.Add(-90 * time.Minute), Took: time.Minute}, 2)
	h.Observe(session.Event{Kind: session.EventProgress, Time: t0.Add(-80 * time.Minute)}, 2)
	h.Observe(session.Event{Kind: session.EventStopped, Time: t0.Add(-45 * time.Minute)}, 1)

	s := h.Snapshot()
	if s.Starts != 2 || s.Failures != 1 {
		t.Errorf("starts, failures = %d, %d; want 2, 1", s.Starts, s.Failures)
	}
	if len(s.Running) != 144 || len(s.Hours) != 24 {
		t.Fatalf("%d samples and %d hours, want 144 and 24", len(s.Running), len(s.Hours))
	}
	if first, last := s.Running[0].Time, s.Running[143].Time; !first.Equal(t0.Add(-24*time.Hour+10*time.Minute)) || !last.Equal(t0) {
		t.Errorf("samples from %s to %s", first, last)
	}
	want := map[time.Time]int{
		t0.Add(-5 * time.Hour):     0,
		t0.Add(-2 * time.Hour):     2, // 10:00-10:10 held 10:05 and 10:07: the most is 2
		t0.Add(-110 * time.Minute): 2,
		t0.Add(-50 * time.Minute):  2, // 11:10-11:20: 2 until 11:15
		t0.Add(-40 * time.Minute):  1,
		t0:                         1,
	}
	seen := 0
	for _, smp := range s.Running {
		if w, ok := want[smp.Time]; ok {
			seen++
			if smp.Count != w {
				t.Errorf("running at %s = %d, want %d", smp.Time.Format("15:04"), smp.Count, w)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("%d of the %d samples checked were there", seen, len(want))
	}
	for _, hr := range s.Hours {
		switch {
		case hr.Hour.Equal(t0.Add(-2 * time.Hour)):
			if hr.Starts != 2 || hr.P50 != 2*time.Second || hr.P95 != 4*time.Second {
				t.Errorf("10:00: %+v, want 2 starts, p50 2s, p95 4s", hr)
			}
		case hr.Starts != 0:
			t.Errorf("%s: %d starts, want none", hr.Hour.Format("15:04"), hr.Starts)
		}
	}

	// A day later, everything has left the window but the count.
	c.t = t0.Add(24 * time.Hour)
	s = h.Snapshot()
	if s.Starts != 0 || s.Failures != 0 || s.Running[0].Count != 1 || s.Running[143].Count != 1 {
		t.Errorf("a day later: %d starts, %d failures, running %d … %d; want 0, 0, 1 … 1", s.Starts, s.Failures, s.Running[0].Count, s.Running[143].Count)
	}
}

// auditLog is an audit.Store holding entries, pages of two.
type auditLog []audit.Entry

func (a auditLog) AppendAudit(context.Context, audit.Entry) (uint64, error) { panic("read only") }

func (a auditLog) AuditEntries(_ context.Context, before uint64, _ int) ([]audit.Entry, uint64, error) {
	var out []audit.Entry
	for i := len(a) - 1; i >= 0 && len(out) < 2; i-- {
		if before == 0 || a[i].ID < before {
			out = append(out, a[i])
		}
	}
	var next uint64
	if len(out) == 2 && out[1].ID > 1 {
		next = out[1].ID
	}
	return out, next, nil
}

func TestRebuildFromAudit(t *testing.T) {
	var log auditLog
	add := func(ago time.Duration, action, detail, result string) {
		log = append(log, audit.Entry{ID: uint64(len(log) + 1), Time: t0.Add(-ago), Action: action, Detail: detail, Result: result})
	}
	add(30*time.Hour, audit.SessionStart, "mapping m", audit.ResultOK) // out of the window
	add(3*time.Hour, audit.SessionStart, "mapping m, image i, "+audit.Took(1500*time.Millisecond), audit.ResultOK)
	add(170*time.Minute, audit.SessionStart, "mapping m, image i", audit.ResultOK)
	add(160*time.Minute, audit.SessionStart, "mapping m, image i: already running", audit.ResultOK)
	add(150*time.Minute, audit.SessionStart, "mapping m; not ready", audit.ResultFailed)
	add(140*time.Minute, audit.SignIn, "", audit.ResultOK)
	add(time.Hour, audit.SessionStop, "by an administrator", audit.ResultOK)
	add(50*time.Minute, audit.SessionStop, "; no such session", audit.ResultFailed)

	h := history.New((&clock{t: t0}).now)
	if err := h.Rebuild(t.Context(), log, 1); err != nil {
		t.Fatal(err)
	}
	s := h.Snapshot()
	if s.Starts != 2 || s.Failures != 1 {
		t.Errorf("starts, failures = %d, %d; want 2, 1", s.Starts, s.Failures)
	}
	count := func(at time.Time) int {
		for _, smp := range s.Running {
			if smp.Time.Equal(at) {
				return smp.Count
			}
		}
		t.Fatalf("no sample at %s", at)
		return 0
	}
	// One runs now; two ran after the second start until the stop an
	// hour ago; none before the first start.
	for _, c := range []struct {
		ago  time.Duration
		want int
	}{{4 * time.Hour, 0}, {3 * time.Hour, 1}, {150 * time.Minute, 2}, {time.Hour, 2}, {50 * time.Minute, 1}, {0, 1}} {
		if got := count(t0.Add(-c.ago)); got != c.want {
			t.Errorf("running %s ago = %d, want %d", c.ago, got, c.want)
		}
	}
	for _, hr := range s.Hours {
		if hr.Hour.Equal(t0.Add(-3*time.Hour)) && (hr.Starts != 2 || hr.P50 != 1500*time.Millisecond) {
			t.Errorf("09:00: %+v, want 2 starts, p50 1.5s (the one known)", hr)
		}
	}
}

func TestTookRoundTrip(t *testing.T) {
	d, ok := audit.TookOf("mapping m, image i, " + audit.Took(2345*time.Millisecond) + "; more")
	if !ok || d != 2345*time.Millisecond {
		t.Errorf("TookOf = %s, %v", d, ok)
	}
	if _, ok := audit.TookOf("mapping m"); ok {
		t.Error("TookOf found a time in a detail without one")
	}
}

// A start refused before it began (another start or stop of the grant
// under way, or the appliance shutting down) is no failed start: the
// session manager publishes no event for it, so the history rebuilt after
// a restart does not count it either.
func TestRebuildSkipsRefusedStarts(t *testing.T) {
	var log auditLog
	for _, detail := range []string{
		"mapping m; starting m: " + session.ErrInProgress.Error(),
		"mapping m; starting m: " + session.ErrShuttingDown.Error(),
		"mapping m; starting m: the application did not become ready",
	} {
		log = append(log, audit.Entry{ID: uint64(len(log) + 1), Time: t0.Add(-time.Hour), Action: audit.SessionStart, Detail: detail, Result: audit.ResultFailed})
	}
	h := history.New((&clock{t: t0}).now)
	if err := h.Rebuild(t.Context(), log, 0); err != nil {
		t.Fatal(err)
	}
	if s := h.Snapshot(); s.Failures != 1 {
		t.Errorf("failures = %d, want 1 (the start that did not become ready)", s.Failures)
	}
}
