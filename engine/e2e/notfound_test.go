package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
)

// unusable starts sessions for alice and bob and returns three session
// URLs alice cannot use: her own that ended, bob's, and a made-up one.
func unusable(t *testing.T, s *setup) map[string]string {
	t.Helper()
	alice := s.Login("alice", "password-alice")
	ended := s.start(t, alice, s.aliceID)
	if err := s.App.Sessions().Stop(t.Context(), "alice", strings.Split(ended, "/")[4]); err != nil {
		t.Fatal(err)
	}
	bobs := s.start(t, s.Login("bob", "password-bob"), s.bobID)
	return map[string]string{
		"ended":            ended,
		"bob's":            bobs,
		"made up":          "/user/alice/containers/" + strings.Repeat("0", 32) + "/",
		"bob's as alice's": strings.Replace(bobs, "/user/bob/", "/user/alice/", 1),
	}
}

// TestSessionNotFoundPage opens session URLs alice cannot use in a real
// Chromium: each shows the appliance's styled page with a way back to the
// portal, the same page and status whatever the reason.
func TestSessionNotFoundPage(t *testing.T) {
	s := newSetup(t)
	urls := unusable(t, s)
	ctx := newChromium(t, s.Server)
	signIn(t, ctx, s.URL, "alice", "password-alice")
	var first string
	for what, path := range urls {
		follow(t, ctx, "opening "+what+" session", chromedp.Navigate(s.URL+path+"index.html"), `main section.card`)
		status := get(t, ctx, chromedp.Evaluate[int](`performance.getEntriesByType("navigation")[0].responseStatus`))
		text := get(t, ctx, chromedp.Text(chromedp.CSS(`main`)))
		back := get(t, ctx, chromedp.Evaluate[string](`(document.querySelector('main a[href="/"]') || {}).textContent || ""`))
		// Styled: the appliance's stylesheet applied (the bar has its own
		// background, unlike an unstyled page's transparent one).
		styled := get(t, ctx, chromedp.Evaluate[bool](`document.styleSheets.length > 0 && getComputedStyle(document.querySelector("header.bar")).backgroundColor !== "rgba(0, 0, 0, 0)"`))
		if status != http.StatusNotFound || !strings.Contains(text, "Not found") || back == "" || !styled {
			t.Errorf("%s session: status %d, styled %v, link back %q, page:\n%s", what, status, styled, back, text)
		}
		if strings.Contains(text, "404 page not found") {
			t.Errorf("%s session: the bare text answer", what)
		}
		if first == "" {
			first = text
		} else if text != first {
			t.Errorf("%s session: the page differs, which tells one reason from another:\n%s\n---\n%s", what, text, first)
		}
		// The way back leads to the portal.
		follow(t, ctx, "going back to the portal", chromedp.Click(chromedp.CSS(`main a[href="/"]`)), `ul.apps`)
	}
}

// TestSessionRefusalsForClients: API clients get the API's JSON error for
// the same refusals, identical for every reason; browsers (Accept:
// text/html) get the page, for the other refusals too.
func TestSessionRefusalsForClients(t *testing.T) {
	s := newSetup(t)
	urls := unusable(t, s)
	api := tokenFor(t, s.Server, "alice", "password-alice")
	var first string
	for what, path := range urls {
		code, body, hdr := api.do("GET", path, nil)
		var e wire.Error
		if err := json.Unmarshal(body, &e); err != nil || code != http.StatusNotFound || e.Type != wire.TypeNotFound || e.Message == "" ||
			!strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Errorf("%s session for an API client: %d %s %q", what, code, hdr.Get("Content-Type"), body)
		}
		if first == "" {
			first = string(body)
		} else if string(body) != first {
			t.Errorf("%s session: the answer differs: %s, and %s", what, body, first)
		}
	}

	alice := s.Login("alice", "password-alice")
	own := s.start(t, alice, s.aliceID)
	for _, tc := range []struct {
		what, method, path string
		hdr                http.Header
		status             int
		says               string
	}{
		{"another user's session", "GET", urls["bob's"], nil, http.StatusNotFound, "Not found"},
		{"a session address without its id", "GET", "/user/alice/containers/", nil, http.StatusNotFound, "Not found"},
		{"a page that does not exist", "GET", "/no/such/page", nil, http.StatusNotFound, "Not found"},
		{"a bad path", "GET", own + "a%2fb", nil, http.StatusBadRequest, "encoded slashes"},
		{"a cross-site request", "POST", own + "write?name=x&data=y", http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden, "Cross-site request refused"},
	} {
		hdr := http.Header{"Accept": {"text/html,application/xhtml+xml"}}
		for k, v := range tc.hdr {
			hdr[k] = v
		}
		resp := alice.Do(tc.method, tc.path, nil, hdr)
		body := appliancetest.ReadBody(resp)
		if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(body, tc.says) || !strings.Contains(body, `href="/"`) || !strings.Contains(body, "/static/style.css") {
			t.Errorf("%s for a browser: %d %s\n%s", tc.what, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s for a browser: the page has no Content-Security-Policy", tc.what)
		}
	}
}
