package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/images"
	"github.com/simphony/simphony-remote/engine/volumes/volumestest"
)

// adminPage opens an admin page and waits for its navigation, styled:
// loading it again (at most twice) when Chromium aborted the load of its
// style sheet (see step).
func adminPage(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	follow(t, ctx, "opening "+url, chromedp.Navigate(url), `nav.admin-nav`)
	for reloads := 0; reloads < 2; reloads++ {
		styled := get(t, ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector("nav.admin-nav")).display === "flex"`))
		if styled {
			return
		}
		t.Logf("%s: reloading without its style sheet", url)
		follow(t, ctx, "reloading "+url, chromedp.Reload(), `nav.admin-nav`)
	}
}

// fillAndSubmit fills in a form and submits it: every action but the last is
// run, then the last one (the click that submits), and sel is waited for on
// the page it leads to.
func fillAndSubmit(t *testing.T, ctx context.Context, what, sel string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	step(t, ctx, what, actions[:len(actions)-1]...)
	follow(t, ctx, what, actions[len(actions)-1], sel)
}

// text is the text of the page's main part.
func text(t *testing.T, ctx context.Context) string {
	t.Helper()
	return get(t, ctx, chromedp.Text(chromedp.CSS(`main`)))
}

// TestAdminCreatesUserAndGrants: in the web admin, an administrator adds
// the desktop, creates a user and grants it the desktop with a data
// volume; the user signs in and sees it on the portal, and gets the styled
// 404 at /admin/; the audit page filters to that user.
func TestAdminCreatesUserAndGrants(t *testing.T) {
	requireStarters(t)
	root := volumestest.Root(t)
	data := volumestest.Dir(t, root, "data")
	s := appliancetest.Start(t, appliancetest.WithConfig(func(c *config.Config) { c.Volumes.AllowedRoots = []string{root} }))
	ctx := newChromium(t, s)
	t.Cleanup(func() {
		if t.Failed() {
			screenshot(t, ctx, "admin-users-failed")
		}
	})
	signIn(t, ctx, s.URL, "admin", s.AdminPassword)

	follow(t, ctx, "following the admin badge", chromedp.Click(chromedp.CSS(`header a.badge`)), `nav.admin-nav`)
	adminPage(t, ctx, s.URL+"/admin/applications")
	fillAndSubmit(t, ctx, "adding the desktop", `form[action="/admin/applications/limits"]`,
		chromedp.SendKeys(chromedp.CSS(`form[action="/admin/applications"] input[name="image"]`), images.Desktop),
		chromedp.Click(chromedp.CSS(`form[action="/admin/applications"] button[type="submit"]`)),
	)
	// The application's page and the list show the desktop's icon (drawn:
	// the page's CSP lets data: images through) and the env it declares.
	checkIcon := func(where string) {
		t.Helper()
		icon := get(t, ctx, chromedp.Evaluate[map[string]any](`(() => { const i = document.querySelector("main img.icon");
			return i ? {src: i.src.slice(0, 22), alt: i.alt, drawn: i.complete && i.naturalWidth > 0} : {} })()`))
		if icon["src"] != "data:image/png;base64," || icon["alt"] != "Icon of Desktop" || icon["drawn"] != true {
			t.Errorf("%s: the icon is %v, want a drawn data: PNG with the alt text %q", where, icon, "Icon of Desktop")
		}
	}
	checkIcon("the desktop's page")
	env := get(t, ctx, chromedp.Text(chromedp.CSS(`dl.app-env`)))
	for _, want := range []string{"X11_WIDTH", "the width of the resolution the user chooses, in pixels", "STARTUPDATA", "the path the user gives as startup data"} {
		if !strings.Contains(env, want) {
			t.Errorf("the desktop's declared environment lacks %q:\n%s", want, env)
		}
	}
	screenshot(t, ctx, "admin-application-env")
	adminPage(t, ctx, s.URL+"/admin/applications")
	checkIcon("the applications page")
	if got := get(t, ctx, chromedp.Text(chromedp.CSS(`p.app-env`))); got != "Declares STARTUPDATA, X11_DEPTH, X11_HEIGHT, X11_WIDTH" {
		t.Errorf("the applications page says %q of the desktop's env", got)
	}
	screenshot(t, ctx, "admin-applications-icon")

	adminPage(t, ctx, s.URL+"/admin/users")
	fillAndSubmit(t, ctx, "creating carla", `form.grant-form`,
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "carla"),
		chromedp.SendKeys(chromedp.CSS(`form[action="/admin/users"] input[name="password"]`), "carla's long password"),
		chromedp.Click(chromedp.CSS(`form[method="post"][action="/admin/users"] button[type="submit"]`)),
	)
	if got := text(t, ctx); !strings.Contains(got, "Created user carla.") {
		t.Fatalf("no notice after creating carla:\n%s", got)
	}

	// A volume outside the allowed roots is refused next to its field.
	fillAndSubmit(t, ctx, "granting a forbidden volume", `#err-volume`,
		chromedp.SetValue(chromedp.CSS(`form.grant-form select[name="image"]`), images.Desktop),
		chromedp.SendKeys(chromedp.CSS(`input[name="volume_source"]`), "/etc"),
		chromedp.SendKeys(chromedp.CSS(`input[name="volume_target"]`), "/data"),
		chromedp.Click(chromedp.CSS(`form.grant-form button[type="submit"]`)),
	)
	screenshot(t, ctx, "admin-grant-field-error")
	if msg := get(t, ctx, chromedp.Text(chromedp.CSS(`#err-volume`))); !strings.Contains(msg, "/etc") {
		t.Errorf("the volume's error says %q", msg)
	}
	fillAndSubmit(t, ctx, "granting the desktop with a volume", `form[action="/admin/grants/revoke"]`,
		chromedp.SetValue(chromedp.CSS(`input[name="volume_source"]`), data),
		chromedp.SetValue(chromedp.CSS(`select[name="volume_mode"]`), "rw"),
		chromedp.Click(chromedp.CSS(`form.grant-form button[type="submit"]`)),
	)
	page := text(t, ctx)
	if !strings.Contains(page, "Granted "+images.Desktop+" to carla") || !strings.Contains(page, data+" → /data (rw)") {
		t.Fatalf("the user page after granting:\n%s", page)
	}
	screenshot(t, ctx, "admin-user")

	// The user sees the desktop, and no admin pages.
	uctx := newChromium(t, s)
	signIn(t, uctx, s.URL, "carla", "carla's long password")
	portal := text(t, uctx)
	if !strings.Contains(portal, "Desktop") || !strings.Contains(portal, "data at /data (read-write)") {
		t.Errorf("carla's portal:\n%s", portal)
	}
	follow(t, uctx, "opening /admin/ as carla", chromedp.Navigate(s.URL+"/admin/"), `main h1`)
	if h := get(t, uctx, chromedp.Text(chromedp.CSS(`main h1`))); h != "Not found" {
		t.Errorf("carla at /admin/ sees %q, want the styled 404", h)
	}
	screenshot(t, uctx, "admin-not-for-users")

	// The audit log, filtered to carla.
	adminPage(t, ctx, s.URL+"/admin/audit")
	fillAndSubmit(t, ctx, "filtering the audit log", `form.filters input[name="user"][value="carla"]`,
		chromedp.SendKeys(chromedp.CSS(`form.filters input[name="user"]`), "carla"),
		chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)),
	)
	rows := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.audit tbody tr")].map(r => r.innerText)`))
	var actions []string
	for _, r := range rows {
		if !strings.Contains(r, "carla") {
			t.Errorf("an entry not about carla: %q", r)
		}
		for _, a := range []string{"user.create", "grant.create", "signin"} {
			if strings.Contains(r, a) {
				actions = append(actions, a)
			}
		}
	}
	if got := strings.Join(actions, " "); !strings.Contains(got, "user.create") || !strings.Contains(got, "grant.create") || !strings.Contains(got, "signin") {
		t.Errorf("the audit log filtered to carla has %q, want her creation, grant and sign-in", got)
	}
	screenshot(t, ctx, "admin-audit")

	// On a 768 px wide tablet nothing needs scrolling sideways.
	step(t, ctx, "narrowing the window", chromedp.EmulateViewport(768, 1024))
	for _, page := range []string{"/admin/users/carla", "/admin/users", "/admin/audit"} {
		adminPage(t, ctx, s.URL+page)
		if w := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 768 {
			t.Errorf("%s is %d px wide in a 768 px window", page, w)
		}
	}
	screenshot(t, ctx, "admin-users-768")
}
