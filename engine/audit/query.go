package audit

import (
	"context"
	"strings"
	"time"
)

// Query selects entries of the audit log: a page of at most Limit (see
// Limit) entries with ids below Before (0: from the newest), of User, of
// Action, from From on and before To. Empty fields select everything.
type Query struct {
	Before uint64
	Limit  int
	// User is an actor, or what was acted on: a user, or the user of a
	// grant ("IMAGE for USER").
	User   string
	Action string
	// From is the earliest time, To the first time past the range; zero:
	// unbounded.
	From, To time.Time
}

// Filtered reports whether q selects some entries only.
func (q Query) Filtered() bool {
	return q.User != "" || q.Action != "" || !q.From.IsZero() || !q.To.IsZero()
}

// Match reports whether q's filters select e (Before and Limit aside).
func (q Query) Match(e Entry) bool {
	if q.User != "" && e.Actor != q.User && e.Target != q.User && !strings.HasSuffix(e.Target, " for "+q.User) {
		return false
	}
	if q.Action != "" && e.Action != q.Action {
		return false
	}
	if !q.From.IsZero() && e.Time.Before(q.From) {
		return false
	}
	return q.To.IsZero() || e.Time.Before(q.To)
}

// MaxScan bounds the entries one filtered read looks at, so that a filter
// that matches little answers quickly: the page then holds what was found,
// and its next says where to go on.
const MaxScan = 20 * MaxLimit

// Find lists the entries of s that q selects, newest first, and the Before
// of the next page: 0 when no older entry is left to look at.
func Find(ctx context.Context, s Store, q Query) ([]Entry, uint64, error) {
	limit := Limit(q.Limit)
	if !q.Filtered() {
		return s.AuditEntries(ctx, q.Before, limit)
	}
	out := []Entry{}
	before := q.Before
	for scanned := 0; ; {
		page, next, err := s.AuditEntries(ctx, before, MaxLimit)
		if err != nil {
			return nil, 0, err
		}
		for _, e := range page {
			scanned++
			before = e.ID
			if q.Match(e) {
				out = append(out, e)
			}
			if len(out) == limit || scanned == MaxScan {
				if next == 0 && e.ID == page[len(page)-1].ID {
					return out, 0, nil
				}
				return out, before, nil
			}
		}
		if next == 0 {
			return out, 0, nil
		}
		before = next
	}
}
