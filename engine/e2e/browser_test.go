package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/config"
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
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(requireChromium(t)),
		chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("ignore-certificate-errors-spki-list", leafSPKI(t, s)),
		chromedp.UserDataDir(t.TempDir()),
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
// Chromium aborted a load because a container's network came up on this
// machine (net::ERR_NETWORK_CHANGED: starting a container adds a network
// interface, and Chromium aborts the loads in flight when it notices; a
// user's browser elsewhere never sees it). An aborted form submission does
// not fail the action that caused it: the page becomes Chromium's error page
// and a later wait times out, so the error page counts as well.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, 90*time.Second)
		err := chromedp.Do(actx, actions...)
		cancel()
		if err == nil {
			return
		}
		if attempt == 2 || !(strings.Contains(err.Error(), "ERR_NETWORK_CHANGED") || onErrorPage(ctx)) {
			t.Fatalf("%s: %v", what, err)
		}
		t.Logf("%s again after: %v", what, err)
	}
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
		actx, cancel := context.WithTimeout(ctx, 90*time.Second)
		err := chromedp.Do(actx,
			chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), user),
			chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`ul.apps`)),
		)
		cancel()
		if err == nil {
			return
		}
		if attempt == 2 || !(strings.Contains(err.Error(), "ERR_NETWORK_CHANGED") || onErrorPage(ctx)) {
			t.Fatalf("signing in as %s: %v", user, err)
		}
	}
}

// follow runs action (a click or a navigation that loads a page) once and
// waits for sel on the page it leads to, reloading (at most twice) when
// Chromium aborted that load (see step): unlike step, it does not run the
// action again, which the page it was on may no longer allow.
func follow(t *testing.T, ctx context.Context, what string, action chromedp.Action[chromedp.Void], sel string) {
	t.Helper()
	step(t, ctx, what, action)
	for reloads := 0; ; reloads++ {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(sel)))
		cancel()
		if err == nil {
			restyle(t, ctx)
			return
		}
		if reloads == 2 || !onErrorPage(ctx) {
			t.Fatalf("%s: %v", what, err)
		}
		t.Logf("%s: reloading after Chromium aborted the load", what)
		step(t, ctx, what+" (reloading)", chromedp.Reload())
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
			state := get(t, ctx, chromedp.Evaluate[string](`location.href + " | " + document.documentElement.className + " | " + (document.body ? document.body.innerText.slice(0, 300) : "")`))
			t.Fatalf("%s: %v; page: %s; failed loads: %s", what, err, state, failed)
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

// TestBrowser signs in with a real Chromium, starts the two starter
// applications from the portal and uses them through the proxy.
func TestBrowser(t *testing.T) {
	requireStarters(t)
	s := appliancetest.Start(t, appliancetest.WithConfig(func(c *config.Config) {
		c.DemoApplications = []string{images.Desktop, images.Files}
	}))
	t.Cleanup(func() {
		for _, r := range s.App.Sessions().Routes().List() {
			_ = s.App.Sessions().StopAny(context.Background(), r.URLID, "test")
		}
	})
	ctx := newChromium(t, s)
	failures := watchFailures(ctx)

	step(t, ctx, "signing in",
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), s.AdminPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`ul.apps`)),
	)
	portal := get(t, ctx, chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(portal, "Desktop") || !strings.Contains(portal, "Files") {
		t.Fatalf("the portal does not offer the starter applications:\n%s", portal)
	}

	// Files: start it, upload a file through the browser.
	upload := filepath.Join(t.TempDir(), "results.csv")
	if err := os.WriteFile(upload, []byte("x,y\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The start opens the session page, whose frame shows Files; the
	// upload goes through the frame's own page, opened by itself.
	since := failures()
	step(t, ctx, "starting Files", chromedp.Click(chromedp.CSS(`li[data-name="Files"] form button[type="submit"]`)))
	awaitPage(t, ctx, failures, since, "opening Files", onSessionPage+" && "+inFrame(`d.querySelector('input[type="file"]')`))
	if loc := get(t, ctx, chromedp.Location()); !regexp.MustCompile(`^` + regexp.QuoteMeta(s.URL) + `/sessions/[0-9a-f]{32}$`).MatchString(loc) {
		t.Errorf("Files opened at %s, want its session page", loc)
	}
	files := get(t, ctx, chromedp.AttributeValue(chromedp.CSS(`#session-frame`), "src")).Value
	if !regexp.MustCompile(`^/user/admin/containers/[0-9a-f]{32}/$`).MatchString(files) {
		t.Fatalf("the session page frames %q, want Files' own address", files)
	}
	// The upload's answer is one of the loads Chromium may abort (see
	// awaitPage): Files is then opened again, where the file shows if the
	// upload arrived, else it is uploaded again (at most twice).
	for attempt := 0; ; attempt++ {
		follow(t, ctx, "opening Files by itself", chromedp.Navigate(s.URL+files), `input[type="file"]`)
		if get(t, ctx, chromedp.Evaluate[bool](`!!document.querySelector('a[href$="results.csv"]')`)) {
			break
		}
		step(t, ctx, "uploading a file",
			chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"]`), []string{upload}),
			chromedp.Click(chromedp.CSS(`form[enctype="multipart/form-data"] button`)))
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(`a[href$="results.csv"]`)))
		cancel()
		if err == nil {
			break
		}
		if attempt == 2 {
			t.Fatalf("uploading a file: %v; failed loads: %s", err, failures())
		}
		t.Logf("opening Files again after the upload: %v; failed loads: %s", err, failures())
	}
	if data, err := os.ReadFile(filepath.Join(s.Config.DataDir, "homes", "admin", "results.csv")); err != nil || string(data) != "x,y\n1,2\n" {
		t.Errorf("the uploaded file in the home: %q, %v", data, err)
	}

	// Desktop: start it from the portal; the progress page opens its
	// session page once it is ready, whose frame opens the desktop's own
	// address, which sends it on to noVNC with its settings; noVNC
	// connects through the proxy.
	since = failures()
	step(t, ctx, "starting Desktop",
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`li[data-name="Desktop"] form button[type="submit"]`)),
		chromedp.Click(chromedp.CSS(`li[data-name="Desktop"] form button[type="submit"]`)),
	)
	awaitPage(t, ctx, failures, since, "opening Desktop", onSessionPage+" && "+inFrame(`d.documentElement.classList.contains("noVNC_connected")`))
	if loc := get(t, ctx, chromedp.Evaluate[string](`document.getElementById("session-frame").contentWindow.location.href`)); !strings.Contains(loc, "/vnc.html?") || !strings.Contains(loc, "autoconnect=1") {
		t.Fatalf("noVNC connected at %s", loc)
	}
	frameShowsDesktop(t, ctx, failures)
	screenshot(t, ctx, "browser-desktop-session-page")
	// Opened by itself (Open without the toolbar), the same.
	desktop := get(t, ctx, chromedp.AttributeValue(chromedp.CSS(`#session-frame`), "src")).Value
	if !regexp.MustCompile(`^/user/admin/containers/[0-9a-f]{32}/$`).MatchString(desktop) {
		t.Fatalf("the session page frames %q, want the desktop's own address", desktop)
	}
	since = failures()
	step(t, ctx, "opening the desktop by itself", chromedp.Navigate(s.URL+desktop))
	awaitPage(t, ctx, failures, since, "opening the desktop by itself", `document.documentElement.classList.contains("noVNC_connected")`)
	desktopPanel(t, ctx)
}

// panelColour is the background of the desktop's panel (lxpanel's
// tintcolor in installer/images/desktop/panel).
var panelColour = color.RGBA{0x1b, 0x24, 0x30, 0xff}

// desktopPanel waits for the desktop's panel in screenshots: along the
// bottom of noVNC's canvas, the second row from the bottom is mostly the
// panel's colour, where a bare X server shows black. The last screenshot
// is kept in $SIMPHONY_TEST_SCREENSHOTS (desktop.png) when set.
func desktopPanel(t *testing.T, ctx context.Context) {
	t.Helper()
	var shot []byte
	var share float64
	var err error
	for deadline := time.Now().Add(60 * time.Second); ; {
		shot = get(t, ctx, chromedp.CaptureScreenshot())
		box := get(t, ctx, chromedp.Evaluate[[]float64](`(() => {
			const c = document.querySelector("#noVNC_container canvas") || document.querySelector("canvas");
			const r = c.getBoundingClientRect(), k = window.devicePixelRatio;
			return [r.left * k, r.right * k, r.bottom * k];
		})()`))
		share, err = rowShare(shot, box, panelColour)
		if (err == nil && share >= 0.5) || time.Now().After(deadline) {
			break
		}
		step(t, ctx, "waiting for the desktop's panel", chromedp.Sleep(500*time.Millisecond))
	}
	if dir := os.Getenv("SIMPHONY_TEST_SCREENSHOTS"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "desktop.png"), shot, 0o644)
	}
	if err != nil || share < 0.5 {
		t.Fatalf("no panel along the bottom of the desktop: %.0f%% of the row has its colour (%v)", share*100, err)
	}
}

// rowShare decodes a PNG screenshot and returns the share of the pixels,
// from x = box[0] to box[1] on the second row above y = box[2], that are
// near want (JPEG, which noVNC may be sent, shifts colours a little).
func rowShare(shot []byte, box []float64, want color.RGBA) (float64, error) {
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		return 0, fmt.Errorf("decoding the screenshot: %w", err)
	}
	if len(box) != 3 {
		return 0, fmt.Errorf("the canvas's box is %v", box)
	}
	b := img.Bounds()
	x0, x1, y := max(int(box[0]), b.Min.X), min(int(box[1]), b.Max.X), min(int(box[2]), b.Max.Y)-2
	if x1-x0 < 100 || y < b.Min.Y {
		return 0, fmt.Errorf("the canvas (%v) is not in the %v screenshot", box, b)
	}
	near := func(a uint32, b uint8) bool { d := int(a>>8) - int(b); return d > -12 && d < 12 }
	n := 0
	for x := x0; x < x1; x++ {
		r, g, bl, _ := img.At(x, y).RGBA()
		if near(r, want.R) && near(g, want.G) && near(bl, want.B) {
			n++
		}
	}
	return float64(n) / float64(x1-x0), nil
}
