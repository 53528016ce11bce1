package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	signIn(t, ctx, s.URL, "admin", s.AdminPassword)
	follow(t, ctx, "starting Files", chromedp.Click(chromedp.CSS(`li[data-name="Files"] form button[type="submit"]`)), `input[type="file"]`)
	files := get(t, ctx, chromedp.Location())

	upload := filepath.Join(t.TempDir(), "results.csv")
	if err := os.WriteFile(upload, []byte("x,y\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "uploading a file",
		chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"]`), []string{upload}),
		chromedp.Click(chromedp.CSS(`form[enctype="multipart/form-data"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href$="/results.csv"]`)),
	)
	// A folder that is not empty: one with a file uploaded into it.
	step(t, ctx, "creating a folder",
		chromedp.SetValue(chromedp.CSS(`form[action$="?op=mkdir"] input[name="name"]`), "data"),
		chromedp.Click(chromedp.CSS(`form[action$="?op=mkdir"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href$="/data/"]`)),
	)
	follow(t, ctx, "opening the folder", chromedp.Click(chromedp.CSS(`a[href$="/data/"]`)), `input[type="file"]`)
	step(t, ctx, "uploading into the folder",
		chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"]`), []string{upload}),
		chromedp.Click(chromedp.CSS(`form[enctype="multipart/form-data"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href$="/data/results.csv"]`)),
	)
	follow(t, ctx, "going up", chromedp.Navigate(files), `a[href$="/data/"]`)
	screenshot(t, ctx, "files-listing")
	axeCheck(t, ctx, "files")

	// Rename: a '/' and a taken name are refused, each saying why.
	rename := func(to, wait string) string {
		t.Helper()
		follow(t, ctx, "opening the rename form", chromedp.Click(chromedp.CSS(`td.act a[href$="?op=rename&name=results.csv"]`)), `input[name="to"]`)
		step(t, ctx, "renaming to "+to,
			chromedp.SetValue(chromedp.CSS(`input[name="to"]`), to),
			chromedp.Click(chromedp.CSS(`form[action$="?op=rename"] button`)),
			chromedp.WaitVisible(chromedp.CSS(wait)),
		)
		return get(t, ctx, chromedp.Text(chromedp.CSS(`main`)))
	}
	follow(t, ctx, "opening the rename form", chromedp.Click(chromedp.CSS(`td.act a[href$="?op=rename&name=results.csv"]`)), `input[name="to"]`)
	screenshot(t, ctx, "files-rename")
	axeCheck(t, ctx, "files' rename")
	step(t, ctx, "back to the folder", chromedp.Navigate(files))
	if msg := rename("../escape.csv", `p.msg`); !strings.Contains(msg, "cannot contain '/'") {
		t.Errorf("renaming to a name with '/': %s", msg)
	}
	axeCheck(t, ctx, "files' error")
	step(t, ctx, "back to the folder", chromedp.Navigate(files))
	if msg := rename("data", `p.msg`); !strings.Contains(msg, `"data" exists already`) {
		t.Errorf("renaming to a taken name: %s", msg)
	}
	step(t, ctx, "back to the folder", chromedp.Navigate(files))
	rename("final.csv", `a[href$="/final.csv"]`)
	if data, err := os.ReadFile(filepath.Join(home, "final.csv")); err != nil || string(data) != "x,y\n1,2\n" {
		t.Errorf("the renamed file: %q, %v", data, err)
	}
	for _, gone := range []string{"results.csv", "escape.csv", "../escape.csv"} {
		if _, err := os.Lstat(filepath.Join(home, gone)); err == nil {
			t.Errorf("%s exists after the renames", gone)
		}
	}

	// Delete: a folder that is not empty stays; a file goes once confirmed.
	follow(t, ctx, "asking to delete the folder", chromedp.Click(chromedp.CSS(`td.act a[href$="?op=delete&name=data"]`)), `form[action$="?op=delete"] button`)
	screenshot(t, ctx, "files-delete")
	axeCheck(t, ctx, "files' delete")
	follow(t, ctx, "deleting the folder", chromedp.Click(chromedp.CSS(`form[action$="?op=delete"] button`)), `p.msg`)
	if msg := get(t, ctx, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(msg, "not empty") {
		t.Errorf("deleting a folder that is not empty: %s", msg)
	}
	if _, err := os.Stat(filepath.Join(home, "data", "results.csv")); err != nil {
		t.Errorf("the folder's file after the refused delete: %v", err)
	}
	follow(t, ctx, "back to the folder", chromedp.Navigate(files), `a[href$="/final.csv"]`)
	follow(t, ctx, "asking to delete the file", chromedp.Click(chromedp.CSS(`td.act a[href$="?op=delete&name=final.csv"]`)), `form[action$="?op=delete"] button`)
	if _, err := os.Stat(filepath.Join(home, "final.csv")); err != nil {
		t.Errorf("the file is gone before the confirmation: %v", err)
	}
	follow(t, ctx, "deleting the file", chromedp.Click(chromedp.CSS(`form[action$="?op=delete"] button`)), `a[href$="/data/"]`)
	if _, err := os.Lstat(filepath.Join(home, "final.csv")); err == nil {
		t.Errorf("final.csv exists after its delete")
	}
	if get(t, ctx, chromedp.Evaluate[bool](`document.querySelector('a[href$="/final.csv"]') !== null`)) {
		t.Errorf("the listing still shows final.csv")
	}

	follow(t, ctx, "going back to the portal", chromedp.Click(chromedp.CSS(`header a.portal`)), `ul.apps`)
	if loc := get(t, ctx, chromedp.Location()); loc != s.URL+"/" {
		t.Errorf("the link back led to %s, want %s/", loc, s.URL)
	}
}
