package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/images"
)

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
	// noVNC's modules came as the one file the image bundled them into.
	if loaded := get(t, ctx, chromedp.Evaluate[[]string](`performance.getEntriesByType("resource").concat(document.getElementById("session-frame").contentWindow.performance.getEntriesByType("resource")).map(e => new URL(e.name).pathname.replace(/^.*\/containers\/[0-9a-f]+\//, "")).filter(p => p.endsWith(".js"))`)); !slices.Contains(loaded, "app/ui.bundle.js") || slices.Contains(loaded, "app/ui.js") || slices.Contains(loaded, "core/rfb.js") {
		t.Errorf("noVNC's page loaded %v; want app/ui.bundle.js in place of app/ui.js and its modules", loaded)
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
