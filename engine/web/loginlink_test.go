package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/web"
)

// linkFixture is the pages with an administrator alice (no password) and
// a user bob (with one), and the sign-in links.
type linkFixture struct {
	h        *web.Handler
	store    *boltdb.Store
	resolver *auth.Resolver
	links    *auth.SignInLinks

	mu  sync.Mutex
	now time.Time
}

func (f *linkFixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *linkFixture) wait(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func newLinkFixture(t *testing.T) *linkFixture {
	t.Helper()
	ctx := t.Context()
	store, err := boltdb.Init(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	hash, err := auth.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []accounting.User{{Name: "alice", Admin: true}, {Name: "bob", PasswordHash: hash}} {
		if err := store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	f := &linkFixture{store: store, now: time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)}
	logins, err := auth.NewLogins(ctx, store, time.Hour, 24*time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.resolver = &auth.Resolver{Logins: logins, Users: store, IsAdmin: func(u accounting.User) bool { return u.Admin }}
	f.links = auth.NewSignInLinks(store, f.clock)
	f.h, err = web.New(web.Deps{
		Authenticator: auth.NewAuthenticator(store, false, nil, nil), Logins: logins, Resolver: f.resolver,
		SignInLinks: f.links, Audit: audit.NewLog(store, zerolog.Nop()), Log: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *linkFixture) get(token string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/login/link?token="+url.QueryEscape(token), nil))
	return w
}

func (f *linkFixture) post(path string, form url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

// sessionCookie is the login cookie an answer sets, or nil.
func sessionCookie(w *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == auth.CookieName {
			return c
		}
	}
	return nil
}

// TestLinkPageDoesNotSpend: opening a link shows whom it signs in and a
// button that posts it; any number of opens leave it working.
func TestLinkPageDoesNotSpend(t *testing.T) {
	f := newLinkFixture(t)
	token := f.links.Make("alice")
	for range 2 {
		w := f.get(token)
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(body, `<form method="post" action="/login/link">`) ||
			!strings.Contains(body, `<input type="hidden" name="token" value="`+token+`">`) ||
			!strings.Contains(body, `<button type="submit">Sign in as alice</button>`) {
			t.Fatalf("GET /login/link: %d\n%s", w.Code, body)
		}
		if sessionCookie(w) != nil {
			t.Fatal("GET /login/link signed the browser in")
		}
	}
	if u, err := f.links.Check(t.Context(), token); err != nil || u.Name != "alice" {
		t.Errorf("after two GETs the link = %+v, %v; want it unspent", u, err)
	}
}

// TestLinkSignsIn: posting the link signs in as a password does (the same
// cookie, a login that resolves, an audited sign-in), once.
func TestLinkSignsIn(t *testing.T) {
	f := newLinkFixture(t)
	ctx := t.Context()
	byPassword := f.post("/login", url.Values{"username": {"bob"}, "password": {"correct horse"}, "next": {"/"}})
	want := sessionCookie(byPassword)
	if byPassword.Code != http.StatusSeeOther || want == nil {
		t.Fatalf("password sign-in: %d, cookie %v", byPassword.Code, want)
	}

	for _, tt := range []struct{ user, next string }{{"alice", "/admin/"}, {"bob", "/"}} {
		token := f.links.Make(tt.user)
		w := f.post("/login/link", url.Values{"token": {token}})
		got := sessionCookie(w)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != tt.next || got == nil {
			t.Fatalf("%s's link: %d to %q, cookie %v; want 303 to %s with a cookie", tt.user, w.Code, w.Header().Get("Location"), got, tt.next)
		}
		g, p := *got, *want
		g.Value, p.Value, g.Raw, p.Raw = "", "", "", ""
		if g.String() != p.String() {
			t.Errorf("%s's link sets the cookie %s, a password sign-in %s", tt.user, g.String(), p.String())
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(got)
		if id, ok := f.resolver.Identify(r); !ok || id.User != tt.user || id.Via != auth.ViaCookie {
			t.Errorf("%s's cookie signs in as %+v, %v", tt.user, id, ok)
		}

		again := f.post("/login/link", url.Values{"token": {token}})
		if again.Code != http.StatusGone || sessionCookie(again) != nil || !strings.Contains(again.Body.String(), "db user sign-in-link NAME") {
			t.Errorf("%s's link posted again: %d, cookie %v\n%s", tt.user, again.Code, sessionCookie(again), again.Body)
		}
	}

	entries, _, err := f.store.AuditEntries(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Actor+" "+e.Action+" "+e.Target+" "+e.Result+": "+e.Detail)
	}
	if want := "bob signin bob ok: by a one-time sign-in link|alice signin alice ok: by a one-time sign-in link|bob signin bob ok: "; strings.Join(got, "|") != want {
		t.Errorf("audit:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}

// TestLinkRefused: an expired, unknown or cross-site link signs nobody in,
// with the page that says how to get a new one.
func TestLinkRefused(t *testing.T) {
	f := newLinkFixture(t)
	expired := f.links.Make("alice")
	f.wait(auth.SignInLinkTTL + time.Second)
	// Before any other link is made (which prunes the expired ones).
	getExpired, postExpired := f.get(expired), f.post("/login/link", url.Values{"token": {expired}})
	disabled := f.links.Make("bob")
	if err := f.store.SetDisabled(t.Context(), "bob", true); err != nil {
		t.Fatal(err)
	}
	for name, w := range map[string]*httptest.ResponseRecorder{
		"GET expired":   getExpired,
		"POST expired":  postExpired,
		"GET unknown":   f.get("nonsense"),
		"POST unknown":  f.post("/login/link", url.Values{"token": {"nonsense"}}),
		"POST empty":    f.post("/login/link", nil),
		"GET disabled":  f.get(disabled),
		"POST disabled": f.post("/login/link", url.Values{"token": {disabled}}),
	} {
		body := w.Body.String()
		if w.Code != http.StatusGone || sessionCookie(w) != nil || !strings.Contains(body, "invalid, was used already, or has expired") ||
			!strings.Contains(body, "simphony-remote db user sign-in-link NAME") || strings.Contains(body, "Sign in as") {
			t.Errorf("%s: %d, cookie %v\n%s", name, w.Code, sessionCookie(w), body)
		}
	}

	// From another site: refused, and the link still works.
	token := f.links.Make("alice")
	r := httptest.NewRequest(http.MethodPost, "/login/link", strings.NewReader(url.Values{"token": {token}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden || sessionCookie(w) != nil {
		t.Errorf("a cross-site POST: %d, cookie %v", w.Code, sessionCookie(w))
	}
	if _, err := f.links.Check(t.Context(), token); err != nil {
		t.Errorf("a refused cross-site POST spent the link: %v", err)
	}
}
