package adminweb_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/adminweb"
	"github.com/simphony/simphony-remote/engine/audit"
)

// queries is the admin service, recording the audit queries it is asked.
type queries struct {
	admin.Service
	asked []audit.Query
}

func (s *queries) Audit(ctx context.Context, q audit.Query) ([]audit.Entry, uint64, error) {
	s.asked = append(s.asked, q)
	return s.Service.Audit(ctx, q)
}

// TestAuditPageAsksTheService: the page turns its form into one query of
// the service (whole days, in UTC), shows the service's rejection of a
// backwards range next to its field, and links the next page with the
// filter kept.
func TestAuditPageAsksTheService(t *testing.T) {
	f := newFixture(t)
	for i := range 55 {
		if a := f.post(t, "/admin/users", "name", fmt.Sprintf("u%02d", i), "password", "a long enough password"); a.status != http.StatusSeeOther {
			t.Fatalf("creating a user: %d", a.status)
		}
	}
	svc := &queries{Service: f.svc}
	h, err := adminweb.New(adminweb.Deps{
		Service:   svc,
		Authorize: func(*http.Request) (audit.Actor, string, bool) { return audit.Actor{Name: "root"}, csrf, true },
		Refuse:    func(w http.ResponseWriter, _ *http.Request, status int, msg string) { http.Error(w, msg, status) },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	today := time.Now().UTC().Format(time.DateOnly)
	a := f.do(t, http.MethodGet, "/admin/audit?action=user.create&from="+today+"&to="+today+"&before=9999", nil, true)
	day, _ := time.Parse(time.DateOnly, today)
	want := audit.Query{Before: 9999, Limit: 50, Action: audit.UserCreate, From: day, To: day.AddDate(0, 0, 1)}
	if len(svc.asked) != 1 || svc.asked[0] != want {
		t.Fatalf("the page asked %+v, want once %+v", svc.asked, want)
	}
	if a.status != http.StatusOK || strings.Count(a.body, "<code>user.create</code>") != 50 {
		t.Errorf("the page: %d, %d entries, want 50", a.status, strings.Count(a.body, "<code>user.create</code>"))
	}
	if !strings.Contains(a.body, `href="/admin/audit?action=user.create&amp;before=`) || !strings.Contains(a.body, "from="+today) {
		t.Errorf("no link to the next page with the filter:\n%s", a.body)
	}

	a = f.do(t, http.MethodGet, "/admin/audit?from=2026-12-08&to=2026-12-07", nil, true)
	if !strings.Contains(a.body, `id="err-to"`) || !strings.Contains(a.body, "its end is not after its start") {
		t.Errorf("a backwards range has no error next to its end:\n%s", a.body)
	}
}
