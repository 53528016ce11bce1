package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/config"
)

// me asks /api/v1/me with a Bearer token, returning the status and the
// user it names.
func me(t *testing.T, s *appliancetest.Server, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", s.URL+"/api/v1/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Name string `json:"name"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Name
}

// fieldError is the message shown next to the field named name, read
// through the field's aria-describedby, or "".
func fieldError(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	return get(t, ctx, chromedp.Evaluate[string](`(() => {
		const f = document.querySelector('input[name="`+name+`"]');
		const id = f && f.getAttribute("aria-describedby");
		const e = id && document.getElementById(id);
		return f && f.getAttribute("aria-invalid") === "true" && e ? e.textContent : "";
	})()`))
}

// TestAccountPage: on the account page a user changes their password,
// after which only the new one signs in, and makes an API token that works
// as a Bearer token until it is revoked there. axeCheck passes on each
// state of the page.
func TestAccountPage(t *testing.T) {
	requireAxe(t)
	s := appliancetest.Start(t)
	hash, err := auth.HashPassword("password-alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.App.Store().CreateUser(t.Context(), accounting.User{Name: "alice", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	ctx := newChromium(t, s)
	signIn(t, ctx, s.URL, "alice", "password-alice")
	follow(t, ctx, "opening the account page", chromedp.Click(chromedp.CSS(`header a[href="/account"]`)), `form[action="/account/password"]`)
	screenshot(t, ctx, "account")
	axeCheck(t, ctx, "account")

	// Refusals, each next to its field.
	password := func(old, pw, again string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.CSS(`input[name="old"]`), old),
			chromedp.SetValue(chromedp.CSS(`input[name="new"]`), pw),
			chromedp.SetValue(chromedp.CSS(`input[name="again"]`), again),
		}
	}
	const account, change = "/account", `form[action="/account/password"] button[type="submit"]`
	submit(t, ctx, s.URL+account, "changing the password with a wrong one", password("not-the-password", "new-password-alice", "new-password-alice"), change, `#old-error`, nil)
	if msg := fieldError(t, ctx, "old"); !strings.Contains(msg, "not your current password") {
		t.Errorf("a wrong current password: next to the field %q", msg)
	}
	screenshot(t, ctx, "account-wrong-password")
	axeCheck(t, ctx, "account with a refused password")
	submit(t, ctx, s.URL+account, "changing the password, mistyped once", password("password-alice", "new-password-alice", "new-password-alicf"), change, `#again-error`, nil)
	if msg := fieldError(t, ctx, "again"); !strings.Contains(msg, "differ") {
		t.Errorf("two different new passwords: next to the field %q", msg)
	}
	changed := func() bool {
		u, err := s.App.Store().User(t.Context(), "alice")
		return err == nil && auth.VerifyPassword(u.PasswordHash, "new-password-alice") == nil
	}
	if submit(t, ctx, s.URL+account, "changing the password", password("password-alice", "new-password-alice", "new-password-alice"), change, `main .flash.notice`, changed) {
		if msg := get(t, ctx, chromedp.Text(chromedp.CSS(`main .flash.notice`))); !strings.Contains(msg, "password has changed") {
			t.Errorf("after the change: %q", msg)
		}
		axeCheck(t, ctx, "account with a notice")
	}
	if !changed() {
		t.Fatal("the password did not change")
	}

	// The old password no longer signs in; the new one does.
	submit(t, ctx, s.URL+account, "signing out", nil, `header form[action="/logout"] button`, `form[action="/login"] input[name="username"]`, func() bool {
		return s.App.Logins().Count() == 0 // this browser's was the only login
	})
	signInFails(t, ctx, s.URL, "alice", "password-alice")
	axeCheck(t, ctx, "sign-in with an error")
	signIn(t, ctx, s.URL, "alice", "new-password-alice")

	// A token made on the page works as a Bearer token until revoked there.
	follow(t, ctx, "opening the account page", chromedp.Navigate(s.URL+account), `form[action="/account/tokens"]`)
	aliceAPI := s.Login("alice", "new-password-alice")
	submit(t, ctx, s.URL+account, "making a token",
		[]chromedp.Action[chromedp.Void]{chromedp.SetValue(chromedp.CSS(`form[action="/account/tokens"] input[name="name"]`), "laptop")},
		`form[action="/account/tokens"] button[type="submit"]`, `#token-secret`,
		func() bool { removeTokens(t, aliceAPI); return false }) // its secret is lost: make another
	step(t, ctx, "waiting for the copy button", chromedp.WaitVisible(chromedp.CSS(`button[data-copy]`)))
	secret := get(t, ctx, chromedp.Value(chromedp.CSS(`#token-secret`)))
	screenshot(t, ctx, "account-token")
	axeCheck(t, ctx, "account with a new token")
	// On a 768 px wide tablet the page fits its width.
	step(t, ctx, "narrowing the window", chromedp.EmulateViewport(768, 1024))
	if w := get(t, ctx, chromedp.Evaluate[int](`Math.max(document.documentElement.scrollWidth, ...[...document.querySelectorAll("main *")].map(e => e.getBoundingClientRect().right))`)); w > 768 {
		t.Errorf("at 768 px the page is %d px wide", w)
	}
	if get(t, ctx, chromedp.Evaluate[bool](`(s => s.scrollWidth > s.clientWidth)(document.querySelector(".scroll"))`)) {
		t.Errorf("at 768 px the token list does not fit")
	}
	screenshot(t, ctx, "account-tablet")
	step(t, ctx, "widening the window", chromedp.EmulateReset())
	row := get(t, ctx, chromedp.Text(chromedp.CSS(`table.tokens tbody tr`)))
	if !strings.Contains(row, "laptop") || !strings.Contains(row, "never") {
		t.Errorf("the token's row: %q", row)
	}
	if status, user := me(t, s, secret); status != http.StatusOK || user != "alice" {
		t.Fatalf("/api/v1/me with the new token: %d %q, want 200 alice", status, user)
	}
	step(t, ctx, "copying the token", chromedp.Click(chromedp.CSS(`button[data-copy]`)))
	if got := get(t, ctx, chromedp.Poll[string](`document.getElementById("copy-status").textContent`)); got == "" {
		t.Errorf("the copy button says nothing")
	}
	// Shown once: the page, loaded again, has it no more; the list says
	// when it was last used.
	follow(t, ctx, "loading the account page again", chromedp.Navigate(s.URL+"/account"), `table.tokens`)
	if get(t, ctx, chromedp.Evaluate[bool](`document.getElementById("token-secret") !== null || document.body.innerHTML.includes(`+jsString(secret)+`)`)) {
		t.Errorf("the secret is shown again")
	}
	if row := get(t, ctx, chromedp.Text(chromedp.CSS(`table.tokens tbody tr`))); strings.Count(row, "never") != 1 {
		t.Errorf("the token's row after a use (last used, and no expiry): %q", row)
	}
	revoked := func() bool { status, _ := me(t, s, secret); return status == http.StatusUnauthorized }
	if submit(t, ctx, s.URL+account, "revoking the token", nil, `table.tokens form[action="/account/tokens/delete"] button`, `main .flash.notice`, revoked) {
		if msg := get(t, ctx, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(msg, "revoked") || !strings.Contains(msg, "You have no API token") {
			t.Errorf("after revoking: %s", msg)
		}
	}
	if status, _ := me(t, s, secret); status != http.StatusUnauthorized {
		t.Errorf("/api/v1/me with the revoked token: %d, want 401", status)
	}
}

// submit fills a form of the page at formURL and sends it with the button,
// then waits for sel on the page that answers, which it says it saw. When
// Chromium aborted the submission (see step), took says whether it reached
// the appliance all the same (nil: the form may be sent again), and may
// undo it to have it sent again; if it did not, the form's page is loaded
// again and the form sent again, at most twice.
func submit(t *testing.T, ctx context.Context, formURL, what string, fill []chromedp.Action[chromedp.Void], button, sel string, took func() bool) bool {
	t.Helper()
	for attempt := 0; ; attempt++ {
		aborted, err := try(ctx, 30*time.Second, append(append(fill[:len(fill):len(fill)], chromedp.Click(chromedp.CSS(button))), chromedp.WaitVisible(chromedp.CSS(sel)))...)
		if err == nil {
			return true
		}
		if attempt == 2 || !aborted {
			t.Fatalf("%s: %v; page: %s", what, err, pageState(ctx))
		}
		if took != nil && took() {
			t.Logf("%s: Chromium aborted the answer, but the appliance did it", what)
			follow(t, ctx, what+" (loading the page again)", chromedp.Navigate(formURL), "main")
			return false
		}
		t.Logf("%s: sending again after Chromium aborted the submission: %v", what, err)
		follow(t, ctx, what+" (loading the form again)", chromedp.Navigate(formURL), button)
	}
}

// signInFails signs in with a wrong password, and checks the sign-in
// page's answer.
func signInFails(t *testing.T, ctx context.Context, portal, user, password string) {
	t.Helper()
	follow(t, ctx, "opening the sign-in page", chromedp.Navigate(portal+"/login"), `form[action="/login"] input[name="username"]`)
	submit(t, ctx, portal+"/login", "signing in as "+user+" with a wrong password", []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS(`input[name="username"]`), user),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), password),
	}, `form[action="/login"] button`, `main .flash.error`, nil)
	if msg := get(t, ctx, chromedp.Text(chromedp.CSS(`main .flash.error`))); !strings.Contains(msg, "Wrong user name or password") {
		t.Errorf("signing in as %s with a wrong password: %q", user, msg)
	}
}

// removeTokens revokes every API token of the browser's user.
func removeTokens(t *testing.T, b *appliancetest.Browser) {
	t.Helper()
	var tokens []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(appliancetest.ReadBody(b.Do("GET", "/api/v1/tokens", nil, http.Header{"Accept": {"application/json"}}))), &tokens); err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		resp := b.Do("DELETE", "/api/v1/tokens/"+tok.ID, nil, http.Header{"X-CSRF-Token": {b.CSRF}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("revoking token %s: %d", tok.ID, resp.StatusCode)
		}
	}
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestAccountReadOnly: with the read-only CSV accounting backend the
// account page's password form is disabled, saying why; tokens still work.
func TestAccountReadOnly(t *testing.T) {
	requireAxe(t)
	csv := filepath.Join(t.TempDir(), "accounts.csv")
	if err := os.WriteFile(csv, []byte("user.name,application.image\nalice,simphony-remote/files:latest\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := appliancetest.Start(t, appliancetest.WithConfig(func(c *config.Config) {
		c.Accounting = config.Accounting{Backend: "csv", Path: csv}
		c.Auth.Mode = "open"
	}))
	ctx := newChromium(t, s)
	follow(t, ctx, "signing in", chromedp.Navigate(s.URL+"/login"), `input[name="username"]`)
	step(t, ctx, "typing the name", chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), "alice"))
	follow(t, ctx, "signing in", chromedp.Click(chromedp.CSS(`form[action="/login"] button`)), `ul.apps`)
	follow(t, ctx, "opening the account page", chromedp.Navigate(s.URL+"/account"), `form[action="/account/password"]`)
	disabled := get(t, ctx, chromedp.Evaluate[bool](`document.querySelector('form[action="/account/password"] fieldset').disabled`))
	why := get(t, ctx, chromedp.Text(chromedp.CSS(`#password-locked`)))
	if !disabled || !strings.Contains(why, "CSV file") {
		t.Errorf("the password form on the CSV backend: disabled %v, saying %q", disabled, why)
	}
	screenshot(t, ctx, "account-read-only")
	axeCheck(t, ctx, "account, read-only")
}

// TestAccountForms: the account page's forms refuse, each with its status
// and a message naming the problem, what they cannot do; without the CSRF
// token nothing happens.
func TestAccountForms(t *testing.T) {
	s := appliancetest.Start(t)
	if resp := s.NewBrowser().Do("GET", "/account", nil, nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Faccount" {
		t.Errorf("signed out: %d to %q, want the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}
	b := s.Login("admin", s.AdminPassword)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	tests := []struct {
		name, path string
		form       url.Values
		status     int
		want       string
	}{
		{"no CSRF token", "/account/password", url.Values{"csrf_token": {"forged"}, "old": {s.AdminPassword}, "new": {"new-password-1"}, "again": {"new-password-1"}}, 403, "CSRF"},
		{"two new passwords", "/account/password", url.Values{"old": {s.AdminPassword}, "new": {"new-password-1"}, "again": {"new-password-2"}}, 400, "differ"},
		{"a short new password", "/account/password", url.Values{"old": {s.AdminPassword}, "new": {"short"}, "again": {"short"}}, 400, `id="new-error"`},
		{"a wrong password", "/account/password", url.Values{"old": {"wrong-password"}, "new": {"new-password-1"}, "again": {"new-password-1"}}, 403, "not your current password"},
		{"a token without a name", "/account/tokens", url.Values{"name": {" "}}, 400, "needs a name"},
		{"an expiry that is no date", "/account/tokens", url.Values{"name": {"x"}, "expires": {"tomorrow"}}, 400, "YYYY-MM-DD"},
		{"an expiry in the past", "/account/tokens", url.Values{"name": {"x"}, "expires": {"2020-01-01"}}, 400, "in the past"},
		{"no such token", "/account/tokens/delete", url.Values{"id": {"0123456789abcdef"}}, 404, "does not exist"},
		{"a token", "/account/tokens", url.Values{"name": {"until tomorrow"}, "expires": {tomorrow}}, 303, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := b.PostForm(tt.path, tt.form)
			body := appliancetest.ReadBody(resp)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("%d, want %d with %q:\n%s", resp.StatusCode, tt.status, tt.want, body)
			}
		})
	}
	// Only the last one did anything: admin's password is the same, and
	// there is one token, until the end of tomorrow.
	s.Login("admin", s.AdminPassword)
	var tokens []struct {
		Name    string     `json:"name"`
		Expires *time.Time `json:"expires"`
	}
	if err := json.Unmarshal([]byte(appliancetest.ReadBody(b.Do("GET", "/api/v1/tokens", nil, http.Header{"Accept": {"application/json"}}))), &tokens); err != nil {
		t.Fatal(err)
	}
	end := time.Now().UTC().AddDate(0, 0, 2).Truncate(24 * time.Hour)
	if len(tokens) != 1 || tokens[0].Expires == nil || !tokens[0].Expires.Equal(end) {
		t.Errorf("admin's tokens: %+v, want one that expires at %s, the end of tomorrow", tokens, end)
	}
}
