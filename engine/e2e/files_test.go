package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/images"
)

// TestFilesApp uses the Files starter application through the appliance
// in Chromium: a file is renamed (a name with '/' and a taken name are
// refused, saying why), a folder that is not empty is not deleted, a file
// is deleted after the confirmation, and the link leads back to the
// portal. Every page passes axeCheck.
func TestFilesApp(t *testing.T) {
	requireStarters(t)
	requireAxe(t)
	s := appliancetest.Start(t, appliancetest.WithConfig(func(c *config.Config) {
		c.DemoApplications = []string{images.Files}
	}))
	t.Cleanup(func() {
		for _, r := range s.App.Sessions().Routes().List() {
			_ = s.App.Sessions().StopAny(context.Background(), r.URLID, "test")
		}
	})
	home := filepath.Join(s.Config.DataDir, "homes", "admin")
	ctx := newChromium(t, s)
	failures := watchFailures(ctx)
	signIn(t, ctx, s.URL, "admin", s.AdminPassword)
	// A start opens the session page, whose frame shows Files; the test
	// then works on Files' own address.
	since := failures()
	step(t, ctx, "starting Files", chromedp.Click(chromedp.CSS(`li[data-name="Files"] form button[type="submit"]`)))
	awaitPage(t, ctx, failures, since, "opening Files", onSessionPage+" && "+inFrame(`d.querySelector('input[type="file"]')`))
	files := s.URL + get(t, ctx, chromedp.AttributeValue(chromedp.CSS(`#session-frame`), "src")).Value
	follow(t, ctx, "opening Files by itself", chromedp.Navigate(files), `input[type="file"]`)

	upload := filepath.Join(t.TempDir(), "results.csv")
	if err := os.WriteFile(upload, []byte("x,y\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exists := func(rel string) func() bool {
		return func() bool { _, err := os.Lstat(filepath.Join(home, rel)); return err == nil }
	}
	type actions = []chromedp.Action[chromedp.Void]
	submit(t, ctx, files, "uploading a file", actions{chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"]`), []string{upload})},
		`form[enctype="multipart/form-data"] button`, `a[href$="/results.csv"]`, exists("results.csv"))
	// A folder that is not empty: one with a file uploaded into it.
	submit(t, ctx, files, "creating a folder", actions{chromedp.SetValue(chromedp.CSS(`form[action$="?op=mkdir"] input[name="name"]`), "data")},
		`form[action$="?op=mkdir"] button`, `a[href$="/data/"]`, exists("data"))
	submit(t, ctx, files+"data/", "uploading into the folder", actions{
		chromedp.Navigate(files + "data/"), chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"]`), []string{upload}),
	}, `form[enctype="multipart/form-data"] button`, `a[href$="/data/results.csv"]`, exists("data/results.csv"))
	follow(t, ctx, "going up", chromedp.Navigate(files), `a[href$="/data/"]`)
	screenshot(t, ctx, "files-listing")
	axeCheck(t, ctx, "files")

	// Rename: a '/' and a taken name are refused, each saying why.
	const renameLink = `td.act a[href$="?op=rename&name=results.csv"]`
	renameForm := files + "?op=rename&name=results.csv"
	follow(t, ctx, "opening the rename form", chromedp.Click(chromedp.CSS(renameLink)), `input[name="to"]`)
	if loc := get(t, ctx, chromedp.Location()); loc != renameForm {
		t.Errorf("the rename link led to %s, want %s", loc, renameForm)
	}
	screenshot(t, ctx, "files-rename")
	axeCheck(t, ctx, "files' rename")
	rename := func(to, wait string, took func() bool) string {
		t.Helper()
		follow(t, ctx, "opening the rename form", chromedp.Navigate(renameForm), `input[name="to"]`)
		submit(t, ctx, renameForm, "renaming to "+to, actions{chromedp.SetValue(chromedp.CSS(`input[name="to"]`), to)},
			`form[action$="?op=rename"] button`, wait, took)
		return get(t, ctx, chromedp.Text(chromedp.CSS(`main`)))
	}
	if msg := rename("../escape.csv", `p.msg`, nil); !strings.Contains(msg, "cannot contain '/'") {
		t.Errorf("renaming to a name with '/': %s", msg)
	}
	axeCheck(t, ctx, "files' error")
	if msg := rename("data", `p.msg`, nil); !strings.Contains(msg, `"data" exists already`) {
		t.Errorf("renaming to a taken name: %s", msg)
	}
	rename("final.csv", `a[href$="/final.csv"]`, exists("final.csv"))
	if data, err := os.ReadFile(filepath.Join(home, "final.csv")); err != nil || string(data) != "x,y\n1,2\n" {
		t.Errorf("the renamed file: %q, %v", data, err)
	}
	for _, gone := range []string{"results.csv", "escape.csv", "../escape.csv"} {
		if exists(gone)() {
			t.Errorf("%s exists after the renames", gone)
		}
	}

	// Delete: a folder that is not empty stays; a file goes once confirmed.
	follow(t, ctx, "back to the folder", chromedp.Navigate(files), `a[href$="/final.csv"]`)
	follow(t, ctx, "asking to delete the folder", chromedp.Click(chromedp.CSS(`td.act a[href$="?op=delete&name=data"]`)), `form[action$="?op=delete"] button`)
	screenshot(t, ctx, "files-delete")
	axeCheck(t, ctx, "files' delete")
	submit(t, ctx, files+"?op=delete&name=data", "deleting the folder", nil, `form[action$="?op=delete"] button`, `p.msg`, nil)
	if msg := get(t, ctx, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(msg, "not empty") {
		t.Errorf("deleting a folder that is not empty: %s", msg)
	}
	if !exists("data/results.csv")() {
		t.Errorf("the folder's file is gone after the refused delete")
	}
	follow(t, ctx, "back to the folder", chromedp.Navigate(files), `a[href$="/final.csv"]`)
	follow(t, ctx, "asking to delete the file", chromedp.Click(chromedp.CSS(`td.act a[href$="?op=delete&name=final.csv"]`)), `form[action$="?op=delete"] button`)
	if !exists("final.csv")() {
		t.Errorf("the file is gone before the confirmation")
	}
	gone := func() bool { return !exists("final.csv")() }
	if submit(t, ctx, files+"?op=delete&name=final.csv", "deleting the file", nil, `form[action$="?op=delete"] button`, `a[href$="/data/"]`, gone) &&
		get(t, ctx, chromedp.Evaluate[bool](`document.querySelector('a[href$="/final.csv"]') !== null`)) {
		t.Errorf("the listing still shows final.csv")
	}
	if !gone() {
		t.Errorf("final.csv exists after its delete")
	}

	follow(t, ctx, "back to the folder", chromedp.Navigate(files), `header a.portal`)
	follow(t, ctx, "going back to the portal", chromedp.Click(chromedp.CSS(`header a.portal`)), `ul.apps`)
	if loc := get(t, ctx, chromedp.Location()); loc != s.URL+"/" {
		t.Errorf("the link back led to %s, want %s/", loc, s.URL)
	}
}

// TestFilesFramedOnItsOwnOrigin: in subdomain mode (the default on
// localhost) the session page frames Files on the session's own origin:
// Files shows there (the appliance's frame-ancestors lets the portal frame
// it; the page's own policy leaves framing to the appliance), and its link
// back to the portal replaces the whole page, not the frame.
func TestFilesFramedOnItsOwnOrigin(t *testing.T) {
	s, portal, session := subdomainSession(t, images.Files, nil)
	_, port, _ := net.SplitHostPort(s.Config.Listen)
	origin := "https://" + session.URLID + ".localhost:" + port + "/"
	ctx := newChromium(t, s)
	failures := watchFailures(ctx)
	signIn(t, ctx, portal, "admin", s.AdminPassword)
	follow(t, ctx, "opening Files' session page", chromedp.Click(chromedp.CSS(`a.button[href="/sessions/`+session.URLID+`"]`)), `#session-frame`)

	// Files shows in the frame; a frame whose load Chromium aborted (see
	// awaitPage) is loaded again with the toolbar's Reload, at most twice.
	var frame context.Context
	for reloads := 0; ; reloads++ {
		var err error
		if frame, err = frameOf(ctx, origin); err == nil {
			fctx, cancel := context.WithTimeout(frame, 20*time.Second)
			_, err = chromedp.Run(fctx, chromedp.Poll[bool](`!!document.querySelector('input[type="file"]')`))
			cancel()
		}
		if err == nil {
			break
		}
		if reloads == 2 {
			screenshot(t, ctx, "files-framed-failed")
			t.Fatalf("Files did not show in the frame: %v", err)
		}
		t.Logf("reloading the frame after: %v", err)
		step(t, ctx, "reloading the frame", chromedp.Click(chromedp.CSS(`#reload`)))
	}
	// (Script only in the frame's target: chromedp's DOM queries wait for
	// a load it attached too late to see.)
	if text := get(t, frame, chromedp.Evaluate[string](`document.body.innerText`)); !strings.Contains(text, "Back to your applications") {
		t.Errorf("the frame shows:\n%s", text)
	}
	screenshot(t, ctx, "files-framed-subdomain")
	axeCheck(t, ctx, "Files' session page (subdomain)")

	// Its link back to the portal leaves the frame, on a person's click
	// (a frame of another origin may navigate the page only with one).
	link := get(t, frame, chromedp.Evaluate[[]float64](`(r => [r.left + r.width / 2, r.top + r.height / 2])(document.querySelector("a.portal").getBoundingClientRect())`))
	box := get(t, ctx, chromedp.Evaluate[[]float64](`(r => [r.left, r.top])(document.getElementById("session-frame").getBoundingClientRect())`))
	since := failures()
	step(t, ctx, "clicking Files' link to the portal", chromedp.MouseClickXY(box[0]+link[0], box[1]+link[1]))
	// On localhost the session's origin is another site, whose links the
	// browser sends without the portal's SameSite=Strict cookie: the
	// portal loads itself again from its own origin, signed in.
	awaitPage(t, ctx, failures, since, "opening the portal from Files", `!!document.querySelector("ul.apps")`)
	if loc := get(t, ctx, chromedp.Location()); loc != portal+"/" {
		t.Errorf("Files' link led the page to %s, want the portal", loc)
	}
}

// frameOf is a context on the page's frame of origin. Chromium runs a frame
// of another site in a process of its own, which the page's context does not
// reach: the test attaches to it as a target of its own. The context ends
// with ctx.
func frameOf(ctx context.Context, origin string) (context.Context, error) {
	for deadline := time.Now().Add(15 * time.Second); ; {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			return nil, err
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, origin) {
				fctx, _ := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
				// Attach with the context that lives as long as the test
				// (see newChromium).
				return fctx, chromedp.Do(fctx)
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no frame of %s in the page", origin)
		}
		if err := chromedp.Do(ctx, chromedp.Sleep(200*time.Millisecond)); err != nil {
			return nil, err
		}
	}
}
