package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/images"
)

// TestPortalStartupDataWithoutScript: the portal offers the startup-data
// field only where the image declares it and the grant allows it; a start
// with it reaches the application, through the progress page with its
// script blocked (its reload link then shows how far the start got).
func TestPortalStartupDataWithoutScript(t *testing.T) {
	requireStarters(t)
	dc := dockertest.Require(t)
	s := appliancetest.Start(t)
	t.Cleanup(func() {
		for _, r := range s.App.Sessions().Routes().List() {
			_ = s.App.Sessions().StopAny(context.Background(), r.URLID, "test")
		}
	})
	ctx := t.Context()
	app := dockertest.TestAppImage(t, dc, "e2e-startup-"+s.Config.Realm, nil)
	st := s.App.Store()
	for _, img := range []string{app, images.Files} {
		if err := st.CreateApplication(ctx, accounting.Application{Image: img}); err != nil {
			t.Fatal(err)
		}
	}
	hash, _ := auth.HashPassword("password-alice")
	if err := st.CreateUser(ctx, accounting.User{Name: "alice", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	allowed, err := st.Grant(ctx, "alice", app, accounting.Policy{AllowStartupData: true})
	if err != nil {
		t.Fatal(err)
	}
	notAllowed, err := st.Grant(ctx, "alice", app, accounting.Policy{AllowHome: true})
	if err != nil {
		t.Fatal(err)
	}
	undeclared, err := st.Grant(ctx, "alice", images.Files, accounting.Policy{AllowStartupData: true})
	if err != nil {
		t.Fatal(err)
	}

	bctx := newChromium(t, s)
	signIn(t, bctx, s.URL, "alice", "password-alice")
	field := func(mapping string) bool {
		return get(t, bctx, chromedp.Evaluate[bool](`!!document.querySelector('form[action="/start"]:has(input[name="mapping_id"][value="`+mapping+`"]) input[name="startupdata"]')`))
	}
	if !field(allowed) {
		t.Error("no startup-data field where the image declares it and the grant allows it")
	}
	if field(notAllowed) {
		t.Error("a startup-data field on a grant that does not allow it")
	}
	if field(undeclared) {
		t.Error("a startup-data field for an image that does not declare it")
	}
	screenshot(t, bctx, "portal-startupdata")
	axeCheck(t, bctx, "portal with a startup-data field")

	// The progress page's script cannot load.
	blockURLs(t, bctx, "*://*:*/static/starting.js*")
	form := `form[action="/start"]:has(input[name="mapping_id"][value="` + allowed + `"])`
	step(t, bctx, "starting with startup data",
		chromedp.SendKeys(chromedp.CSS(form+` input[name="startupdata"]`), "/workspace/input.csv"),
		chromedp.Click(chromedp.CSS(form+` button[type="submit"]`)),
	)
	step(t, bctx, "waiting for the progress page", chromedp.WaitVisible(`#starting`))
	screenshot(t, bctx, "starting-without-script")
	axeCheck(t, bctx, "progress page without its script")
	// A person clicks its reload link now and then, until the session
	// page opens, with the application in its frame; and reloads that page
	// when its frame stays empty (a load Chromium aborted, see awaitPage).
	var body string
	var onPage time.Time
	for deadline, reloads := time.Now().Add(90*time.Second), 0; !strings.Contains(body, `"STARTUPDATA":"/workspace/input.csv"`); {
		if time.Now().After(deadline) {
			t.Fatalf("the application did not open without the progress page's script; at %s:\n%s", get(t, bctx, chromedp.Location()), body)
		}
		if strings.HasPrefix(body, "[session page]") {
			if onPage.IsZero() {
				onPage = time.Now()
			} else if time.Since(onPage) > 10*time.Second && reloads < 2 {
				reloads, onPage = reloads+1, time.Time{}
				t.Logf("loading the session page again: its frame shows %q", body)
				step(t, bctx, "loading the session page again", chromedp.Reload())
			}
		}
		step(t, bctx, "waiting a moment", chromedp.Sleep(time.Second))
		// (A page between two loads has no document to ask: ask again.)
		ectx, cancel := context.WithTimeout(bctx, 10*time.Second)
		body, _ = chromedp.Run(ectx, chromedp.Evaluate[string](`(() => {
			const a = document.querySelector("#reload a");
			const f = document.getElementById("session-frame");
			const d = f && f.contentDocument;
			const text = (f ? "[session page]" : "") + (document.body ? document.body.innerText : "") + (d && d.body ? d.body.innerText : "");
			if (a && !a.closest("[hidden]")) { a.click(); }
			return text;
		})()`))
		cancel()
	}
	if loc := get(t, bctx, chromedp.Location()); !regexp.MustCompile(`^` + regexp.QuoteMeta(s.URL) + `/sessions/[0-9a-f]{32}$`).MatchString(loc) {
		t.Errorf("the start without the progress page's script opened %s, want the session page", loc)
	}
}
