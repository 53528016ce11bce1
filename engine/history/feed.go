package history

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/session"
)

// Observe records a session event; running is the number of sessions that
// run after it.
func (h *History) Observe(e session.Event, running int) {
	at := e.Time
	if at.IsZero() {
		at = h.now()
	}
	switch e.Kind {
	case session.EventStarted:
		h.Start(at, true, e.Took)
		h.Running(at, running)
	case session.EventFailed:
		h.Start(at, false, e.Took)
	case session.EventStopped:
		h.Running(at, running)
	}
}

// Rebuild fills an empty history from the audit log's entries of the last
// Window: session starts (successful or not; "already running" is no
// start, nor is a refused one) and stops. running is the number of sessions that run now: the
// counts before are found by undoing each start and stop, newest first.
func (h *History) Rebuild(ctx context.Context, log audit.Store, running int) error {
	from := h.now().Add(-Window)
	type point struct {
		at    time.Time
		count int
	}
	var points []point // newest first
	var before uint64
	for {
		page, next, err := log.AuditEntries(ctx, before, audit.MaxLimit)
		if err != nil {
			return fmt.Errorf("rebuilding the session history from the audit log: %w", err)
		}
		for _, e := range page {
			if e.Time.Before(from) {
				next = 0
				break
			}
			switch {
			case e.Action == audit.SessionStart && e.Result == audit.ResultFailed:
				if !refused(e.Detail) {
					h.Start(e.Time, false, 0)
				}
			case e.Action == audit.SessionStart && !strings.Contains(e.Detail, "already running"):
				took, _ := audit.TookOf(e.Detail)
				h.Start(e.Time, true, took)
				points = append(points, point{e.Time, running})
				running = max(running-1, 0)
			case e.Action == audit.SessionStop && e.Result == audit.ResultOK:
				points = append(points, point{e.Time, running})
				running++
			}
		}
		if next == 0 {
			break
		}
		before = next
	}
	h.mu.Lock()
	h.before = running
	h.mu.Unlock()
	for i := len(points) - 1; i >= 0; i-- {
		h.Running(points[i].at, points[i].count)
	}
	return nil
}

// refused says whether a failed start's audit detail is a start that never
// began (another one of the grant under way, or a shutdown): the session
// manager publishes no EventFailed for those, so Observe does not count
// them.
func refused(detail string) bool {
	return strings.HasSuffix(detail, session.ErrInProgress.Error()) || strings.HasSuffix(detail, session.ErrShuttingDown.Error())
}
