package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
)

// TestSignInNextInChromium: a sign-in link whose next Go's http.Redirect
// cleans into a backslash path (/./\host) must not take a real browser to
// another server.
func TestSignInNextInChromium(t *testing.T) {
	s := appliancetest.Start(t)
	var hits atomic.Int32
	evil := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("<title>elsewhere</title>"))
	}))
	defer evil.Close()
	sum := sha256.Sum256(evil.Certificate().RawSubjectPublicKeyInfo)

	profile := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(requireChromium(t)),
		chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		// Both servers' certificates are accepted: the browser could
		// reach the other one, were it sent there.
		chromedp.Flag("ignore-certificate-errors-spki-list", leafSPKI(t, s)+","+base64.StdEncoding.EncodeToString(sum[:])),
		chromedp.UserDataDir(profile),
		chromedp.Env("TMPDIR="+profile), // see newChromium
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	defer func() { cancelCtx(); cancelAlloc() }()
	// The tab lives as long as the test, not as one step.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}

	next := `/./\` + strings.TrimPrefix(evil.URL, "https://") + "/landed"
	login := s.URL + "/login?next=" + url.QueryEscape(next)
	// landed waits until the browser is on the appliance's portal, failing
	// as soon as the other server was asked for anything.
	landed := func(what string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; {
			if hits.Load() > 0 {
				t.Fatalf("%s: the browser was sent to %s", what, evil.URL)
			}
			loc := get(t, ctx, chromedp.Location())
			if loc == s.URL+"/" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the browser is at %s, not on the portal", what, loc)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	step(t, ctx, "signing in",
		chromedp.Navigate(s.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), s.AdminPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button`)),
	)
	landed("signing in")
	// Signed in, the sign-in page sends on at once. (Signing in with the
	// form and such a next, the CSP's form-action 'self' already keeps
	// Chromium from following the redirect.)
	step(t, ctx, "opening the link, signed in", chromedp.Navigate(login))
	landed("opening the link")
}
