package e2e

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/docker/docker/api/types/image"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/appliance"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/images"
)

// adminBrowser signs the administrator in, in a new Chromium.
func adminBrowser(t *testing.T, s *appliancetest.Server, name string) context.Context {
	t.Helper()
	ctx := newChromium(t, s)
	t.Cleanup(func() {
		if t.Failed() {
			screenshot(t, ctx, name+"-failed")
		}
	})
	signIn(t, ctx, s.URL, "admin", s.AdminPassword)
	return ctx
}

// TestAdminStopsSession: a user's running session is on the Sessions
// page, and the administrator stops it there after a confirmation.
func TestAdminStopsSession(t *testing.T) {
	requireStarters(t)
	s := appliancetest.Start(t)
	store := s.App.Store()
	ctx0 := t.Context()
	hash, err := auth.HashPassword("dora's long password")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateUser(ctx0, accounting.User{Name: "dora", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateApplication(ctx0, accounting.Application{Image: images.Files}); err != nil {
		t.Fatal(err)
	}
	mapping, err := store.Grant(ctx0, "dora", images.Files, accounting.Policy{AllowHome: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, r := range s.App.Sessions().Routes().List() {
			_ = s.App.Sessions().StopAny(context.Background(), r.URLID, "test")
		}
	})
	// The sessions page, open before the session starts, shows it without
	// a reload: it polls.
	ctx := adminBrowser(t, s, "admin-sessions")
	adminPage(t, ctx, s.URL+"/admin/sessions")
	get(t, ctx, chromedp.Evaluate[bool](`window.notReloaded = true`))
	started, err := s.App.Sessions().Start(ctx0, "dora", mapping, nil)
	if err != nil {
		t.Fatalf("starting dora's session: %v", err)
	}
	urlID := started.Route.URLID
	row := `tr[data-url-id="` + urlID + `"]`
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	appeared, err := chromedp.Run(pctx, chromedp.Poll[bool](`document.querySelector('`+row+`') !== null && window.notReloaded === true`, chromedp.WithPollingTimeout(25*time.Second)))
	cancel()
	if err != nil || !appeared {
		t.Fatalf("the sessions page did not show the new session by itself: %v", err)
	}

	adminPage(t, ctx, s.URL+"/admin/")
	if got := strings.Join(strings.Fields(get(t, ctx, chromedp.Text(chromedp.CSS(`ul.stats`)))), " "); !strings.Contains(got, "1 running sessions") {
		t.Errorf("the dashboard says: %q", got)
	}
	// The running sessions' line, and the start's median and 95th
	// percentile: a dot each when only one hour had starts.
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll(".chart svg polyline, .chart svg circle").length`)); n != 3 {
		t.Errorf("the dashboard's charts draw %d lines or dots, want 3", n)
	}
	screenshot(t, ctx, "admin-dashboard")
	adminPage(t, ctx, s.URL+"/admin/sessions")
	if got := get(t, ctx, chromedp.Text(chromedp.CSS(row))); !strings.Contains(got, "dora") || !strings.Contains(got, images.Files) {
		t.Fatalf("the session's row: %q", got)
	}
	screenshot(t, ctx, "admin-sessions")
	follow(t, ctx, "asking to stop", chromedp.Click(chromedp.CSS(row+` a.button`)), `form[action="/admin/sessions/stop"]`)
	// Stopping the container changes this machine's networks, and Chromium
	// may abort the answer's load (see step): the outcome is checked on
	// the appliance, then on a fresh load of the page.
	step(t, ctx, "stopping", chromedp.Click(chromedp.CSS(`form[action="/admin/sessions/stop"] button`)))
	for deadline := time.Now().Add(60 * time.Second); ; {
		if _, ok := s.App.Sessions().Get(urlID); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the session still runs")
		}
		step(t, ctx, "waiting for the stop", chromedp.Sleep(200*time.Millisecond))
	}
	adminPage(t, ctx, s.URL+"/admin/sessions")
	if got := text(t, ctx); strings.Contains(got, "dora") {
		t.Errorf("the sessions page after stopping:\n%s", got)
	}
	entries, _, err := s.App.Admin().Audit(ctx0, audit.Query{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	for _, e := range entries {
		stopped = stopped || e.Action == "session.stop" && e.Target == urlID && e.Actor == "admin" && e.Result == "ok"
	}
	if !stopped {
		t.Errorf("no audit entry of the administrator stopping %s: %+v", urlID, entries)
	}
}

// TestAdminImportsImage: a `docker save` tarball uploaded through the
// Images page is loaded into Docker, with a progress bar, and becomes an
// application from there.
func TestAdminImportsImage(t *testing.T) {
	dc := dockertest.Require(t)
	tag := dockertest.BuildImage(t, dc, "tiny-import", "testdata/tinyimage", nil, nil)
	rc, err := dc.API().ImageSave(t.Context(), []string{tag})
	if err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(t.TempDir(), "tiny.tar")
	f, err := os.Create(tarball)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(f, rc)
	_ = rc.Close()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("saving %s: %v", tag, err)
	}
	if _, err := dc.API().ImageRemove(t.Context(), tag, image.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}

	s := appliancetest.Start(t)
	ctx := adminBrowser(t, s, "admin-images")
	adminPage(t, ctx, s.URL+"/admin/images")
	step(t, ctx, "choosing the tarball", chromedp.SetUploadFiles(chromedp.CSS(`input[name="tarball"]`), []string{tarball}))
	follow(t, ctx, "importing", chromedp.Click(chromedp.CSS(`form[data-upload] button`)), `p.flash.notice, p.flash.error`)
	if got := text(t, ctx); !strings.Contains(got, "Imported "+tag) {
		t.Fatalf("the images page after importing:\n%s", got)
	}
	screenshot(t, ctx, "admin-images")
	row := `tr[data-image="` + tag + `"]`
	follow(t, ctx, "adding it as an application", chromedp.Click(chromedp.CSS(row+` form button`)), `form[action="/admin/applications/limits"]`)
	if got := text(t, ctx); !strings.Contains(got, "Tiny import") || !strings.Contains(got, "Imported through the admin pages") {
		t.Errorf("the application's page:\n%s", got)
	}
	if _, err := s.App.Store().Application(t.Context(), tag); err != nil {
		t.Errorf("the imported image is no application: %v", err)
	}
}

// TestAdminReadOnly: with the CSV backend every admin page says that the
// accounting is read-only, and every control that would change it is
// disabled.
func TestAdminReadOnly(t *testing.T) {
	csv := filepath.Join(t.TempDir(), "accounting.csv")
	data := "user.name,application.image,policy.allow_home\nerin," + images.Files + ",1\n"
	if err := os.WriteFile(csv, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	s := appliancetest.Start(t, appliancetest.WithConfig(func(c *config.Config) {
		c.Accounting = config.Accounting{Backend: "csv", Path: csv}
		c.Auth.Admins = []string{"erin"}
	}))
	// A CSV file holds no passwords: the administrator signs in with a
	// one-time link, made on the host through the admin socket, as
	// `db user sign-in-link erin` makes it.
	sock := admin.DialSocket(filepath.Join(s.Config.DataDir, appliance.SocketName))
	t.Cleanup(sock.CloseIdleConnections)
	link, err := sock.SignInLink(t.Context(), "erin")
	if err != nil || !strings.HasPrefix(link, s.URL+"/login/link?token=") {
		t.Fatalf("the sign-in link: %q, %v", link, err)
	}
	ctx := newChromium(t, s)
	t.Cleanup(func() {
		if t.Failed() {
			screenshot(t, ctx, "admin-readonly-failed")
		}
	})
	button := `form[method="post"][action="/login/link"] button[type="submit"]`
	follow(t, ctx, "opening the sign-in link", chromedp.Navigate(link), button)
	if got := get(t, ctx, chromedp.Text(chromedp.CSS(button))); got != "Sign in as erin" {
		t.Errorf("the link's button says %q", got)
	}
	screenshot(t, ctx, "admin-sign-in-link")
	follow(t, ctx, "signing in by the link", chromedp.Click(chromedp.CSS(button)), `nav.admin-nav`)
	if u := get(t, ctx, chromedp.Evaluate[string](`location.pathname`)); u != "/admin/" {
		t.Errorf("the link led to %s, want /admin/", u)
	}
	// The link worked once: opened again, it says so.
	follow(t, ctx, "opening the used link", chromedp.Navigate(link), `main h1`)
	if txt := text(t, ctx); !strings.Contains(txt, "was used already") || strings.Contains(txt, "Sign in as") {
		t.Errorf("the used link's page: %q", txt)
	}
	entries, _, err := s.App.Admin().Audit(t.Context(), audit.Query{User: "erin"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Action+" "+e.Target+" "+e.Result+" by "+strings.Fields(e.Actor)[0]+": "+e.Detail)
	}
	if want := "signin erin ok by erin: by a one-time sign-in link|user.sign-in-link erin ok by socket: "; strings.Join(got, "|") != want {
		t.Errorf("erin's audit entries:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
	for _, page := range []string{"/admin/users", "/admin/users/erin", "/admin/applications", "/admin/applications/view?image=" + images.Files, "/admin/grants"} {
		adminPage(t, ctx, s.URL+page)
		if !strings.Contains(text(t, ctx), "Read-only") {
			t.Errorf("%s has no read-only banner", page)
		}
		enabled := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("main form[method=post] button, main form[method=post] input:not([type=hidden]), main form[method=post] select")]
			.filter(e => !e.matches(":disabled") && !e.closest("form[action='/admin/images/import'], form[action='/admin/images/starters'], form[action='/admin/sessions/stop']"))
			.map(e => e.outerHTML)`))
		if len(enabled) > 0 {
			t.Errorf("%s has write controls enabled: %q", page, enabled)
		}
		if page == "/admin/users/erin" {
			screenshot(t, ctx, "admin-readonly")
		}
	}
}

// TestAdminAccessibility runs axe-core on every admin page, with a user,
// an application, a grant with a volume and a running session on them, a
// rejected form and each confirmation page: no serious or critical
// violation.
func TestAdminAccessibility(t *testing.T) {
	requireAxe(t)
	requireStarters(t)
	s := appliancetest.Start(t, appliancetest.WithConfig(func(c *config.Config) {
		c.DemoApplications = []string{images.Files}
	}))
	t.Cleanup(func() {
		for _, r := range s.App.Sessions().Routes().List() {
			_ = s.App.Sessions().StopAny(context.Background(), r.URLID, "test")
		}
	})
	grants, err := s.App.Store().Grants(t.Context(), "admin")
	if err != nil || len(grants) == 0 {
		t.Fatalf("the admin's grants: %v, %v", grants, err)
	}
	started, err := s.App.Sessions().Start(t.Context(), "admin", grants[0].MappingID, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := adminBrowser(t, s, "admin-a11y")
	for _, page := range []string{
		"/admin/", "/admin/users", "/admin/users/admin", "/admin/users/admin/remove",
		"/admin/applications", "/admin/applications/view?image=" + images.Files, "/admin/applications/remove?image=" + images.Files,
		"/admin/grants", "/admin/sessions", "/admin/sessions/stop?url_id=" + started.URLID,
		"/admin/images", "/admin/images/remove?ref=" + images.Files, "/admin/audit", "/admin/users/nobody",
	} {
		adminPage(t, ctx, s.URL+page)
		axeCheck(t, ctx, page)
	}
	// A form that comes back with its errors next to the fields.
	adminPage(t, ctx, s.URL+"/admin/users")
	fillAndSubmit(t, ctx, "creating a user with a bad name", `#err-name`,
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "Not A Name"),
		chromedp.Click(chromedp.CSS(`form[method="post"][action="/admin/users"] button[type="submit"]`)))
	axeCheck(t, ctx, "users with a rejected form")
}
