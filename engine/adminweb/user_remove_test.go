package adminweb_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/adminweb"
	"github.com/simphony/simphony-remote/engine/audit"
)

// withShares is the admin service with fixed shares that go with alice.
type withShares struct {
	admin.Service
	asked []string
}

func (s *withShares) UserShares(_ context.Context, name string) ([]admin.Share, error) {
	s.asked = append(s.asked, name)
	expires := time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)
	return []admin.Share{
		{URLID: "a1", Owner: "alice", Image: "lab/desk:1", User: "carol", Mode: "view", Expires: &expires},
		{URLID: "b2", Owner: "bob", Image: "lab/tool:2", User: "alice", Mode: "control"},
	}, nil
}

// TestRemoveUserListsShares: the confirmation of a user's removal lists
// the shares that go: of their sessions, and those others gave them.
func TestRemoveUserListsShares(t *testing.T) {
	f := newFixture(t)
	if a := f.post(t, "/admin/users", "name", "alice", "password", "a long enough password"); a.status != http.StatusSeeOther {
		t.Fatalf("creating alice: %d", a.status)
	}
	svc := &withShares{Service: f.svc}
	h, err := adminweb.New(adminweb.Deps{
		Service:   svc,
		Authorize: func(*http.Request) (audit.Actor, string, bool) { return audit.Actor{Name: "root"}, csrf, true },
		Refuse:    func(w http.ResponseWriter, _ *http.Request, status int, msg string) { http.Error(w, msg, status) },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	a := f.do(t, http.MethodGet, "/admin/users/alice/remove", nil, true)
	if a.status != http.StatusOK {
		t.Fatalf("the confirmation: %d\n%s", a.status, a.body)
	}
	for _, want := range []string{
		"2 shares",
		"lab/desk:1 shared with carol (view, until 2026-12-07 18:00 UTC)",
		"bob’s lab/tool:2 shared with alice (control)",
	} {
		if !strings.Contains(a.body, want) {
			t.Errorf("the confirmation lacks %q:\n%s", want, a.body)
		}
	}
	if strings.Join(svc.asked, " ") != "alice" {
		t.Errorf("the page asked for the shares of %q, want alice", svc.asked)
	}
}
