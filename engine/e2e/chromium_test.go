package e2e

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/images"
)

// requireChromium finds Debian's Chromium; without it the test fails under
// CI=true and skips loudly elsewhere.
func requireChromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		msg := "this test needs Debian's chromium (make testdeps installs it)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED: " + msg)
	}
	return path
}

// requireStarters checks that the starter images are built.
func requireStarters(t *testing.T) {
	t.Helper()
	dc := dockertest.Require(t)
	for _, img := range []string{images.Desktop, images.Files} {
		if _, err := dc.API().ImageInspect(t.Context(), img); err != nil {
			msg := "this test needs the starter images (make images): " + err.Error()
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip("SKIPPED: " + msg)
		}
	}
}

// leafSPKI is the base64 SHA-256 of the public keys of the appliance's
// certificates (the portal's names, and the sessions' origins issued so
// far), which Chromium is told to accept: a fresh profile cannot be
// made to trust the local CA without tools, and this trusts those keys
// only.
func leafSPKI(t *testing.T, s *appliancetest.Server) string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(s.Config.DataDir, "caddy", "certificates", "local", "*", "*.crt"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no certificate of the local CA (%v)", err)
	}
	var sums []string
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(data)
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
		sums = append(sums, base64.StdEncoding.EncodeToString(sum[:]))
	}
	return strings.Join(sums, ",")
}

func newChromium(t *testing.T, s *appliancetest.Server) context.Context {
	t.Helper()
	profile := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(requireChromium(t)),
		chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("ignore-certificate-errors-spki-list", leafSPKI(t, s)),
		chromedp.UserDataDir(profile),
		// Chromium's own temporary files (its singleton socket), left
		// behind when the test ends it, go with the profile.
		chromedp.Env("TMPDIR="+profile),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// Start the browser with the context that lives as long as the test.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// step runs browser actions with a time limit, again (at most twice) when
// Chromium aborted a load on the way (see try).
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		aborted, err := try(ctx, 90*time.Second, actions...)
		if err == nil {
			return
		}
		if attempt == 2 || !aborted {
			t.Fatalf("%s: %v; page: %s", what, err, pageState(ctx))
		}
		t.Logf("%s again after: %v", what, err)
	}
}

// try runs browser actions with a time limit, and says whether Chromium
// aborted a load on the way because a container's network came up on this
// machine (net::ERR_NETWORK_CHANGED: starting a container adds a network
// interface, and Chromium aborts the loads in flight when it notices; a
// user's browser elsewhere never sees it). An aborted navigation or form
// submission does not fail the action that caused it: the page becomes
// Chromium's error page, or stays the one it was, and a later wait would
// time out. So a page's document whose load failed that way ends the
// attempt at once, and the error page counts as an abort too.
func try(ctx context.Context, limit time.Duration, actions ...chromedp.Action[chromedp.Void]) (aborted bool, err error) {
	actx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var docAborted atomic.Bool
	err = chromedp.Listen(actx, func(ev any) {
		if e, ok := ev.(*network.EventLoadingFailed); ok && e.Type == network.ResourceTypeDocument && strings.Contains(e.ErrorText, "ERR_NETWORK_CHANGED") {
			docAborted.Store(true)
			cancel()
		}
	})
	if err == nil {
		err = chromedp.Do(actx, actions...)
	}
	if err == nil {
		return false, nil
	}
	if docAborted.Load() {
		err = fmt.Errorf("%w (a page's load failed with net::ERR_NETWORK_CHANGED)", err)
	}
	return docAborted.Load() || strings.Contains(err.Error(), "ERR_NETWORK_CHANGED") || onErrorPage(ctx), err
}

// signIn signs user in from the sign-in page of the portal (its URL, no
// trailing slash), in Chromium, again (at most twice) when Chromium aborted
// a load on the way (see step).
func signIn(t *testing.T, ctx context.Context, portal, user, password string) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		step(t, ctx, "opening the portal", chromedp.Navigate(portal+"/"))
		if get(t, ctx, chromedp.Evaluate[bool](`document.querySelector("ul.apps") !== null`)) {
			return // signed in by an attempt whose page load was aborted
		}
		aborted, err := try(ctx, 90*time.Second,
			chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), user),
			chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`ul.apps`)),
		)
		if err == nil {
			return
		}
		if attempt == 2 || !aborted {
			t.Fatalf("signing in as %s: %v; page: %s", user, err, pageState(ctx))
		}
	}
}

// follow runs action (a click or a navigation that loads a page) and waits
// for sel on the page it leads to, in one attempt (see try), so that a load
// Chromium aborts right after the action is seen too. After an abort it
// runs what was aborted again: the action when it did not finish or the
// page is still the one it was on, and otherwise the page it was left on
// (Chromium's error page stands for the address it failed to load), at
// most twice; a page that was left may no longer allow the action.
func follow(t *testing.T, ctx context.Context, what string, action chromedp.Action[chromedp.Void], sel string) {
	t.Helper()
	from := get(t, ctx, chromedp.Location())
	next := action
	for attempt := 0; ; attempt++ {
		acted := false
		aborted, err := try(ctx, 90*time.Second, next,
			chromedp.Func(func(context.Context, *chromedp.Target) error { acted = true; return nil }),
			chromedp.WaitVisible(chromedp.CSS(sel)))
		if err == nil {
			restyle(t, ctx)
			return
		}
		if attempt == 2 || !aborted {
			t.Fatalf("%s: %v; page: %s", what, err, pageState(ctx))
		}
		switch {
		case !acted: // the action (or the reload) did not finish: once more
			t.Logf("%s again after: %v", what, err)
		case get(t, ctx, chromedp.Location()) == from:
			t.Logf("%s again, on the page it was on, after: %v", what, err)
			next = action
		default:
			t.Logf("%s: loading the page again after: %v", what, err)
			next = chromedp.Reload()
		}
	}
}

// restyle loads again, in place, the style sheets of the page whose load
// Chromium aborted (see awaitPage): the page is otherwise left unstyled,
// which fails checks of its look (axe-core's target sizes, a styled error
// page) for a reason a user's browser never has. A failed sheet is absent
// or has no rules (the appliance's sheets are never empty).
func restyle(t *testing.T, ctx context.Context) {
	t.Helper()
	n := get(t, ctx, chromedp.Evaluate[int](`(async () => {
		let again = 0;
		for (const l of document.querySelectorAll('link[rel="stylesheet"]')) {
			let rules = 0;
			try { rules = l.sheet ? l.sheet.cssRules.length : 0; } catch (e) { rules = 1; } // another origin's: not ours to judge
			if (rules > 0) { continue; }
			again++;
			const n = l.cloneNode();
			await new Promise(done => { n.onload = n.onerror = done; l.replaceWith(n); });
		}
		return again;
	})()`, chromedp.EvalAwaitPromise))
	if n > 0 {
		t.Logf("loaded %d style sheet(s) of %s again", n, get(t, ctx, chromedp.Location()))
	}
}

// pageState is what a failure message says of the page shown: its
// address, its root's classes and the start of its text.
func pageState(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + " | " + document.documentElement.className + " | " + (document.body ? document.body.innerText.slice(0, 300) : "")`))
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return state
}

// onErrorPage says whether the browser shows Chromium's page for a load
// that failed (chrome-error://chromewebdata/).
func onErrorPage(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.URL`))
	return err == nil && strings.HasPrefix(u, "chrome-error://")
}

// awaitPage waits for the page in ctx to make cond (a JavaScript
// expression) true. Starting a container adds a network interface on this
// machine, and Chromium then aborts the loads in flight, documents, scripts,
// frames and WebSockets alike (net::ERR_NETWORK_CHANGED; a user's browser
// elsewhere never sees it), which can leave a page half loaded for good. So
// the page is loaded again, at most three times, as a user would: when one of
// its loads failed that way since since (a value of failures taken before
// the page was asked for), or when cond stays false for 20 s (a WebSocket's
// failure is not among the failed loads). Each time is logged.
func awaitPage(t *testing.T, ctx context.Context, failures func() string, since, what, cond string) {
	t.Helper()
	aborted := func() int { return strings.Count(strings.TrimPrefix(failures(), since), "ERR_NETWORK_CHANGED") }
	handled := 0
	for reloads := 0; ; reloads++ {
		var err error
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && aborted() == handled; {
			// A poll also ends in an error when the page navigates under
			// it: poll the next page.
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			var ok bool
			ok, err = chromedp.Run(pctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(2*time.Second)))
			cancel()
			if err == nil && ok {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err == nil {
			err = errors.New("not yet")
		}
		handled = aborted()
		failed := strings.TrimPrefix(strings.TrimPrefix(failures(), since), "; ")
		if reloads == 3 {
			t.Fatalf("%s: %v; page: %s; failed loads: %s", what, err, pageState(ctx), failed)
		}
		t.Logf("%s: loading the page again after %v; failed loads: %s", what, err, failed)
		// The page may navigate by itself meanwhile (a progress page that
		// opens the session), which aborts the reload: the next poll tells.
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if err := chromedp.Do(rctx, chromedp.Reload()); err != nil {
			t.Logf("%s: loading the page again: %v", what, err)
		}
		cancel()
	}
}

// get runs one browser action that returns a value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// watchFailures records the page's failed loads, for error messages.
func watchFailures(ctx context.Context) func() string {
	// The tab must exist before two goroutines listen to it: chromedp
	// creates a context's tab on first use, and two first uses at once
	// race (the race detector caught it with a new browser context).
	if err := chromedp.Do(ctx); err != nil {
		return func() string { return "watching the page's loads: " + err.Error() }
	}
	var mu sync.Mutex
	var failed []string
	urls := map[network.RequestID]string{}
	go func() {
		for ev, err := range chromedp.Events(ctx, network.RequestWillBeSent) {
			if err != nil {
				return
			}
			mu.Lock()
			urls[ev.RequestID] = ev.Request.URL
			mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range chromedp.Events(ctx, network.LoadingFailed) {
			if err != nil {
				return
			}
			mu.Lock()
			failed = append(failed, fmt.Sprintf("%s: %s", urls[ev.RequestID], ev.ErrorText))
			mu.Unlock()
		}
	}()
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(failed, "; ")
	}
}
