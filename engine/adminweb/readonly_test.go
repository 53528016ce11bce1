package adminweb_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/adminweb"
	"github.com/simphony/simphony-remote/engine/audit"
)

// TestReadOnlyDisablesWrites: when the service says the accounting is
// read-only, the pages carry the banner and every accounting form is
// disabled.
func TestReadOnlyDisablesWrites(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.CreateUser(t.Context(), admin.NewUser{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateApplication(t.Context(), admin.NewApplication{Image: "lab/app:1"}); err != nil {
		t.Fatal(err)
	}
	ro := admin.NewLocal(f.store, admin.Options{Backend: "csv"})
	h, err := adminweb.New(adminweb.Deps{
		Service:   ro,
		Authorize: func(*http.Request) (audit.Actor, string, bool) { return audit.Actor{Name: "root"}, csrf, true },
		Refuse:    func(w http.ResponseWriter, _ *http.Request, status int, msg string) { http.Error(w, msg, status) },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	postForm := regexp.MustCompile(`(?s)<form method="post" action="([^"]*)".*?</form>`)
	button := regexp.MustCompile(`<button[^>]*>`)
	for _, target := range []string{"/admin/users", "/admin/users/alice", "/admin/users/alice/remove", "/admin/applications",
		"/admin/applications/view?image=lab/app:1", "/admin/applications/remove?image=lab/app:1", "/admin/grants"} {
		a := f.do(t, http.MethodGet, target, nil, true)
		if a.status != http.StatusOK || !strings.Contains(a.body, "readonly-banner") {
			t.Errorf("GET %s: %d, no read-only banner", target, a.status)
		}
		forms := postForm.FindAllStringSubmatch(a.body, -1)
		if len(forms) < 2 {
			t.Errorf("GET %s: %d forms", target, len(forms))
		}
		for _, form := range forms {
			if form[1] == "/logout" || strings.Contains(form[0], "<fieldset disabled>") {
				continue
			}
			for _, b := range button.FindAllString(form[0], -1) {
				if !strings.Contains(b, " disabled") {
					t.Errorf("GET %s: the form to %s has an enabled %s", target, form[1], b)
				}
			}
		}
	}
}
