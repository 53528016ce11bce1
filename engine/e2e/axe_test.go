package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// axeTags are the rules axeCheck runs: WCAG 2.0, 2.1 and 2.2, levels A
// and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"}

var axeSource = sync.OnceValues(func() (string, error) {
	_, here, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(here), "axe", "node_modules", "axe-core", "axe.min.js")
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading axe-core: %w", err)
	}
	return string(data), nil
})

// requireAxe returns axe-core's script (engine/e2e/axe, installed by make
// testdeps); without it the test fails under CI=true and skips loudly
// elsewhere.
func requireAxe(t *testing.T) string {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		msg := "this test needs axe-core (make testdeps installs it with npm ci --prefix engine/e2e/axe): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED: " + msg)
	}
	return src
}

// axeViolation is one failed rule, as axeCheck reads it from axe.run.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// axeCheck runs axe-core on the page the browser shows (WCAG 2 A and AA
// rules) and fails the test with every serious or critical violation: the
// rule, what it asks for, and the first elements it found.
func axeCheck(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if bad := axeViolations(t, ctx); len(bad) > 0 {
		// (With what a rare failure needs to be understood: the scroll
		// position and the style sheets.)
		loc := get(t, ctx, chromedp.Location()) + "; scrollY " + get(t, ctx, chromedp.Evaluate[string](`String(window.scrollY) + "; style sheets " + [...document.styleSheets].map(s => s.href + " (" + s.cssRules.length + " rules)").join(", ")`))
		screenshot(t, ctx, "axe-failed-"+strings.NewReplacer(" ", "-", "(", "", ")", "", "'", "").Replace(name))
		t.Errorf("axe-core on the %s page (%s) found %d serious or critical violation(s):\n  %s", name, loc, len(bad), strings.Join(bad, "\n  "))
	}
}

// axeViolations returns the serious and critical violations axe-core
// finds on the page, one line each. Its script is read from disk and
// evaluated through the DevTools protocol, which the page's CSP does not
// govern: nothing is loaded from anywhere.
func axeViolations(t *testing.T, ctx context.Context) []string {
	t.Helper()
	src := requireAxe(t)
	// (Unstyled, a page has targets too small: see restyle.)
	restyle(t, ctx)
	if !get(t, ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`)) {
		get(t, ctx, chromedp.Evaluate[bool](src+"\n;true"))
	}
	tags := `["` + strings.Join(axeTags, `","`) + `"]`
	found := get(t, ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {runOnly: {type: "tag", values: `+tags+`}, resultTypes: ["violations"]}).then(r =>
		r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
			targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))})))`, chromedp.EvalAwaitPromise))
	var bad []string
	for _, v := range found {
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, fmt.Sprintf("%s (%s): %s, at %s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, "; ")))
		}
	}
	return bad
}

// TestAccessibility runs axe-core on each of the portal's pages in
// Chromium: sign-in, the portal (empty, then with a running session shared
// with another user, with an error, and the other user's), the start's
// progress page, the error page and sign-out.
func TestAccessibility(t *testing.T) {
	requireAxe(t)
	s := newSetup(t)
	shareable, err := s.App.Store().Grant(t.Context(), "alice", s.image, accounting.Policy{AllowView: true, AllowHome: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := newChromium(t, s.Server)

	// The check finds what it is there to find (a check that cannot fail
	// proves nothing): a page without a language, an image without a text,
	// an unlabelled field and faint text.
	step(t, ctx, "opening a page with faults", chromedp.Navigate("data:text/html,"+url.PathEscape(
		`<html><body><main><img src="x.png"><input type="text"><p style="color:#ccc;background:#fff">faint</p></main></body></html>`)))
	got := strings.Join(axeViolations(t, ctx), "\n")
	for _, rule := range []string{"html-has-lang", "image-alt", "label", "color-contrast"} {
		if !strings.Contains(got, rule+" (") {
			t.Errorf("axe-core did not report %s on a page that breaks it; it reported:\n%s", rule, got)
		}
	}

	follow(t, ctx, "opening the sign-in page", chromedp.Navigate(s.URL+"/login"), `input[name="username"]`)
	screenshot(t, ctx, "a11y-sign-in")
	axeCheck(t, ctx, "sign-in")

	signIn(t, ctx, s.URL, "alice", "password-alice")
	axeCheck(t, ctx, "portal")

	// The progress page, held there: without its script it stays put
	// (it would refresh itself only with scripts off).
	blockURLs(t, ctx, "*://*:*/static/starting.js*")
	follow(t, ctx, "starting the application",
		chromedp.Click(chromedp.CSS(`li.app form[action="/start"]:has(input[value="`+shareable+`"]) button[type="submit"]`)),
		`#starting`)
	screenshot(t, ctx, "a11y-starting")
	axeCheck(t, ctx, "starting")
	blockURLs(t, ctx)

	// The portal with the session running, shared with bob.
	for deadline := time.Now().Add(60 * time.Second); ; {
		follow(t, ctx, "opening the portal", chromedp.Navigate(s.URL+"/"), `ul.apps`)
		if get(t, ctx, chromedp.Evaluate[bool](`document.querySelector("li.app.running dialog.share-dialog") !== null`)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the session did not start: %s", get(t, ctx, chromedp.Text(chromedp.CSS(`main`))))
		}
		step(t, ctx, "waiting for the session", chromedp.Sleep(300*time.Millisecond))
	}
	// Sending a form again after Chromium aborted it would share twice:
	// the portal tells whether the first one took.
	shared := func() bool {
		follow(t, ctx, "opening the portal", chromedp.Navigate(s.URL+"/"), `ul.apps`)
		return get(t, ctx, chromedp.Evaluate[bool](`document.querySelector("li.app.running .shared-count") !== null`))
	}
	portalShare(t, ctx, s.URL+"/", "bob", `li.app.running .shared-count`, shared)
	screenshot(t, ctx, "a11y-portal-running")
	axeCheck(t, ctx, "portal with a shared session")
	portalShare(t, ctx, s.URL+"/", "nobody", `main .flash.error`, nil)
	axeCheck(t, ctx, "portal with an error")

	follow(t, ctx, "opening a page that is not there", chromedp.Navigate(s.URL+"/no-such-page"), `main section.card`)
	screenshot(t, ctx, "a11y-error")
	axeCheck(t, ctx, "error")

	follow(t, ctx, "opening the sign-out page", chromedp.Navigate(s.URL+"/logout"), `form[action="/logout"]`)
	screenshot(t, ctx, "a11y-sign-out")
	axeCheck(t, ctx, "sign-out")
	submit(t, ctx, s.URL+"/logout", "signing out", nil, `main form[action="/logout"] button`, `form[action="/login"] input[name="username"]`,
		func() bool { return s.App.Logins().Count() == 0 }) // alice's was the only login

	signIn(t, ctx, s.URL, "bob", "password-bob")
	if !strings.Contains(get(t, ctx, chromedp.Text(chromedp.CSS(`main`))), "Shared with you") {
		t.Errorf("bob's portal does not show alice's session")
	}
	screenshot(t, ctx, "a11y-portal-shared")
	axeCheck(t, ctx, "portal with a session shared with the user")
}

// blockURLs makes the browser fail the loads of URLs matching patterns
// (Network.setBlockedURLs, URLPattern syntax); none, to load everything
// again.
func blockURLs(t *testing.T, ctx context.Context, patterns ...string) {
	t.Helper()
	step(t, ctx, "blocking "+strings.Join(patterns, ", "), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		blocked := []*network.BlockPattern{}
		for _, p := range patterns {
			blocked = append(blocked, &network.BlockPattern{URLPattern: p, Block: true})
		}
		_, err := chromedp.Call(ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: blocked})
		return err
	}))
}
