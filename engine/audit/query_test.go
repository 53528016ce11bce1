package audit_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/audit/audittest"
)

var day = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)

func TestQueryMatch(t *testing.T) {
	e := audit.Entry{Time: day.Add(10 * time.Hour), Actor: "root", Action: audit.GrantCreate, Target: "lab/tool:1 for alice"}
	for _, tt := range []struct {
		name string
		q    audit.Query
		want bool
	}{
		{"no filter", audit.Query{}, true},
		{"the actor", audit.Query{User: "root"}, true},
		{"a grant's user", audit.Query{User: "alice"}, true},
		{"part of a name", audit.Query{User: "ali"}, false},
		{"another user", audit.Query{User: "bob"}, false},
		{"the action", audit.Query{Action: audit.GrantCreate}, true},
		{"another action", audit.Query{Action: audit.GrantRevoke}, false},
		{"from before", audit.Query{From: day}, true},
		{"from its time on", audit.Query{From: e.Time}, true},
		{"from after", audit.Query{From: e.Time.Add(time.Second)}, false},
		{"to after", audit.Query{To: e.Time.Add(time.Second)}, true},
		{"to its time (excluded)", audit.Query{To: e.Time}, false},
		{"all of them", audit.Query{User: "alice", Action: audit.GrantCreate, From: day, To: day.AddDate(0, 0, 1)}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.q.Match(e); got != tt.want {
				t.Errorf("%+v matches %+v: %v, want %v", tt.q, e, got, tt.want)
			}
		})
	}
	target := audit.Entry{Actor: "root", Action: audit.UserCreate, Target: "alice"}
	if !(audit.Query{User: "alice"}).Match(target) {
		t.Errorf("a user's creation is not theirs")
	}
}

// fill appends n entries, one a minute from day on: actions alternate
// user.create (of u<i>) and signin (by u<i>).
func fill(t *testing.T, n int) *audittest.Store {
	t.Helper()
	s := &audittest.Store{}
	for i := 1; i <= n; i++ {
		e := audit.Entry{Time: day.Add(time.Duration(i) * time.Minute), Actor: "root", Action: audit.UserCreate, Target: fmt.Sprintf("u%d", i)}
		if i%2 == 0 {
			e = audit.Entry{Time: e.Time, Actor: fmt.Sprintf("u%d", i), Action: audit.SignIn, Target: fmt.Sprintf("u%d", i)}
		}
		if _, err := s.AppendAudit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func ids(es []audit.Entry) string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprint(e.ID))
	}
	return strings.Join(out, " ")
}

func TestFind(t *testing.T) {
	ctx := t.Context()
	s := fill(t, 10)
	for _, tt := range []struct {
		name     string
		q        audit.Query
		want     string
		wantNext uint64
	}{
		{"a page", audit.Query{Limit: 3}, "10 9 8", 8},
		{"the next page", audit.Query{Before: 8, Limit: 3}, "7 6 5", 5},
		{"the last page", audit.Query{Before: 3, Limit: 3}, "2 1", 0},
		{"an action", audit.Query{Action: audit.SignIn, Limit: 2}, "10 8", 8},
		{"an action's next page", audit.Query{Action: audit.SignIn, Before: 8, Limit: 2}, "6 4", 4},
		{"an action's last page", audit.Query{Action: audit.SignIn, Before: 4, Limit: 2}, "2", 0},
		{"a user", audit.Query{User: "u3"}, "3", 0},
		{"a time range", audit.Query{From: day.Add(4 * time.Minute), To: day.Add(7 * time.Minute)}, "6 5 4", 0},
		{"nothing matches", audit.Query{User: "nobody"}, "", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := audit.Find(ctx, s, tt.q)
			if err != nil || ids(got) != tt.want || next != tt.wantNext {
				t.Errorf("Find(%+v) = %q, next %d, %v; want %q, next %d", tt.q, ids(got), next, err, tt.want, tt.wantNext)
			}
		})
	}
}

// TestFindBounded: a filtered read looks at MaxScan entries at most, and
// then says where to go on.
func TestFindBounded(t *testing.T) {
	s := fill(t, audit.MaxScan+10)
	got, next, err := audit.Find(t.Context(), s, audit.Query{User: "u1"})
	if err != nil || len(got) != 0 || next != 11 {
		t.Fatalf("the first scan: %q, next %d, %v; want nothing, next 11", ids(got), next, err)
	}
	got, next, err = audit.Find(t.Context(), s, audit.Query{User: "u1", Before: next})
	if err != nil || ids(got) != "1" || next != 0 {
		t.Errorf("the second scan: %q, next %d, %v; want 1, next 0", ids(got), next, err)
	}
}
