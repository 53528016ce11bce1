package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/images"
)

// TestPortalSessionToolbar follows the toolbar page (/sessions/URL_ID) in
// path mode, with a web application in its frame.
func TestPortalSessionToolbar(t *testing.T) {
	dc := dockertest.Require(t)
	requireChromium(t)
	s := appliancetest.Start(t)
	app := dockertest.TestAppImage(t, dc, "e2e-toolbar-"+s.Config.Realm, nil)
	toolbarFlow(t, s, s.URL, app, app, "path")
}

// TestPortalSessionToolbarOrigins follows the toolbar page in subdomain
// mode on localhost, the default: the portal (https://localhost) frames
// the starter desktop on its own origin (https://URL_ID.localhost), which
// Chromium counts as another site.
func TestPortalSessionToolbarOrigins(t *testing.T) {
	requireStarters(t)
	dc := dockertest.Require(t)
	s := appliancetest.Start(t, appliancetest.WithConfig(func(c *config.Config) {
		c.TLS.Hostnames = []string{"localhost", "127.0.0.1"}
	}))
	app := dockertest.TestAppImage(t, dc, "e2e-toolbar-"+s.Config.Realm, nil)
	_, port, _ := net.SplitHostPort(s.Config.Listen)
	toolbarFlow(t, s, "https://localhost:"+port, images.Desktop, app, "subdomain")
}

// toolbarFlow: alice opens her session from the portal's Open button on
// its toolbar page, sees the application in the frame and goes back; bob,
// who it is shared with view only, sees the badge; when the session is
// stopped through the API, both pages say it ended; a second session is
// stopped from the toolbar, after a confirmation.
func toolbarFlow(t *testing.T, s *appliancetest.Server, portal, first, second, mode string) {
	t.Cleanup(func() {
		for _, r := range s.App.Sessions().Routes().List() {
			_ = s.App.Sessions().StopAny(context.Background(), r.URLID, "test")
		}
	})
	ctx := t.Context()
	st := s.App.Store()
	for _, img := range []string{first, second} {
		if err := st.CreateApplication(ctx, accounting.Application{Image: img}); err != nil && first != second {
			t.Fatal(err)
		}
	}
	for _, u := range []string{"alice", "bob"} {
		hash, _ := auth.HashPassword("password-" + u)
		if err := st.CreateUser(ctx, accounting.User{Name: u, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	shared, err := st.Grant(ctx, "alice", first, accounting.Policy{AllowView: true})
	if err != nil {
		t.Fatal(err)
	}
	other, err := st.Grant(ctx, "alice", second, accounting.Policy{AllowHome: true})
	if err != nil {
		t.Fatal(err)
	}
	alice := tokenFor(t, s, "alice", "password-alice")
	var one, two wire.Container
	alice.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: shared, Configurables: map[string]string{"resolution": "1280x800"}}, 201, &one)
	alice.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: other}, 201, &two)
	alice.json("POST", "/api/v1/containers/"+one.URLID+"/shares", wire.ShareRequest{User: "bob", Mode: "view"}, 201, nil)
	if mode == "subdomain" {
		sessionCertificate(t, s, one.URLID)
		sessionCertificate(t, s, two.URLID)
	}

	// Somebody else's session page, one that never was and a bad id get
	// the same 404, naming nothing.
	bob := s.Login("bob", "password-bob")
	for _, id := range []string{two.URLID, strings.Repeat("0", 32), "not-an-id"} {
		resp := bob.Do("GET", "/sessions/"+id, nil, http.Header{"Accept": {"text/html"}})
		if body := appliancetest.ReadBody(resp); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "Test app") || strings.Contains(body, two.URLPath) {
			t.Errorf("bob's view of /sessions/%s: %d\n%s", id, resp.StatusCode, body)
		}
	}

	// Alice opens it from the portal.
	actx := newChromium(t, s)
	failures := watchFailures(actx)
	signIn(t, actx, portal, "alice", "password-alice")
	since := failures()
	follow(t, actx, "opening the session from the portal",
		chromedp.Click(chromedp.CSS(`a.button[href="/sessions/`+one.URLID+`"]`)), `#session-frame`)
	if loc := get(t, actx, chromedp.Location()); loc != portal+"/sessions/"+one.URLID {
		t.Errorf("Open led to %s", loc)
	}
	if first == images.Desktop {
		// The desktop's page tells the toolbar noVNC's state.
		frameShowsDesktop(t, actx, failures)
		waitState(t, actx, "connected", "Connected")
		if src := get(t, actx, chromedp.AttributeValue(chromedp.CSS(`#session-frame`), "src")).Value; src != one.URLPath {
			t.Errorf("the desktop's frame opens %q", src)
		}
		// The display choice reloads the frame with noVNC's setting.
		step(t, actx, "scaling the desktop", chromedp.SetValue(chromedp.CSS(`#resize`), "scale"))
		get(t, actx, chromedp.Evaluate[bool](`document.getElementById("resize").dispatchEvent(new Event("change"))`))
		if src := get(t, actx, chromedp.AttributeValue(chromedp.CSS(`#session-frame`), "src")).Value; src != one.URLPath+"?resize=scale" {
			t.Errorf("scaled, the desktop's frame opens %q", src)
		}
		frameShowsDesktop(t, actx, failures)
		waitState(t, actx, "connected", "Connected")
		step(t, actx, "opening the clipboard's help", chromedp.Click(chromedp.CSS(`#toolbar [commandfor=clipboard]`)), chromedp.WaitVisible(`dialog#clipboard`))
		screenshot(t, actx, "toolbar-clipboard")
		// (Focused in the dialog first: the desktop's frame may have taken
		// the keyboard when noVNC connected.)
		step(t, actx, "closing it", chromedp.Focus(chromedp.CSS(`dialog#clipboard button`)), chromedp.KeyEvent("\x1b"), chromedp.WaitNotVisible(`dialog#clipboard`))
	} else {
		body := waitFrameText(t, actx, failures, since, `"path":"`+one.URLPath+`"`)
		if !strings.Contains(body, `"X-Remote-User":["alice"]`) {
			t.Errorf("the frame shows:\n%s", body)
		}
		// Of the portal's own origin (path mode), the frame can be looked
		// into: the toolbar says it loaded, and says so when it did not.
		waitState(t, actx, "loaded", "Loaded")
		get(t, actx, chromedp.Evaluate[bool](`document.getElementById("session-frame").contentDocument.body.dataset.old = "1", true`))
		step(t, actx, "reloading the frame", chromedp.Click(chromedp.CSS(`#reload`)))
		get(t, actx, chromedp.Poll[bool](inFrame(`d.body && !d.body.dataset.old`)+` && document.getElementById("state").dataset.state === "loaded"`))
		get(t, actx, chromedp.Evaluate[bool](`document.getElementById("session-frame").src = "`+one.URLPath+`?respond-header=X-Frame-Options:DENY", true`))
		waitState(t, actx, "failed", "Did not load: reload it")
		screenshot(t, actx, "toolbar-frame-refused")
		get(t, actx, chromedp.Evaluate[bool](`document.getElementById("session-frame").src = "`+one.URLPath+`", true`))
		waitState(t, actx, "loaded", "Loaded")
	}
	for _, want := range []string{"Applications", "Share", "Stop"} {
		if bar := get(t, actx, chromedp.Text(chromedp.CSS(`#toolbar`))); !strings.Contains(bar, want) {
			t.Errorf("the toolbar has no %q: %q", want, bar)
		}
	}
	screenshot(t, actx, "toolbar-owner-"+mode)
	axeCheck(t, actx, "session ("+mode+")")

	// The share dialog opens from the keyboard, completes the names alice
	// shared with before, and gives the link to send.
	dialog := `dialog#share-` + one.URLID
	step(t, actx, "opening the share dialog with the keyboard",
		chromedp.Focus(chromedp.CSS(`#toolbar [commandfor="share-`+one.URLID+`"]`)), chromedp.KeyEvent("\r"), chromedp.WaitVisible(dialog))
	if names := get(t, actx, chromedp.Evaluate[string](`[...document.querySelectorAll("#recipients-`+one.URLID+` option")].map(o => o.value).join(",")`)); names != "bob" {
		t.Errorf("the share dialog completes %q, want bob", names)
	}
	if link := get(t, actx, chromedp.Value(chromedp.CSS(`#link-`+one.URLID))); link != portal+"/sessions/"+one.URLID {
		t.Errorf("the link to send is %q", link)
	}
	step(t, actx, "copying the link", chromedp.Click(chromedp.CSS(dialog+` button[data-copy]`)))
	if said := get(t, actx, chromedp.Poll[string](`document.querySelector("`+dialog+` .copied").textContent || null`)); said == "" {
		t.Error("the copy button said nothing")
	}
	screenshot(t, actx, "toolbar-share-"+mode)
	axeCheck(t, actx, "session's share dialog ("+mode+")")
	step(t, actx, "closing the share dialog", chromedp.Click(chromedp.CSS(dialog+` form.close button`)), chromedp.WaitNotVisible(dialog))

	// A tablet's width.
	step(t, actx, "narrowing the window", chromedp.EmulateViewport(768, 1024))
	screenshot(t, actx, "toolbar-owner-768-"+mode)
	follow(t, actx, "going back to the portal", chromedp.Click(chromedp.CSS(`#toolbar a.back`)), `ul.apps`)
	if loc := get(t, actx, chromedp.Location()); loc != portal+"/" {
		t.Errorf("the back link led to %s", loc)
	}
	screenshot(t, actx, "portal-running-768-"+mode)
	step(t, actx, "widening the window", chromedp.EmulateViewport(1280, 720))
	screenshot(t, actx, "portal-running-"+mode)
	axeCheck(t, actx, "portal with running sessions ("+mode+")")

	// Bob opens it from his portal: view only.
	bctx, cancel := chromedp.NewContext(actx, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("bob's browser context: %v", err)
	}
	signIn(t, bctx, portal, "bob", "password-bob")
	follow(t, bctx, "opening the shared session", chromedp.Click(chromedp.CSS(`li.shared a.button`)), `#session-frame`)
	if badge := get(t, bctx, chromedp.Text(chromedp.CSS(`#toolbar .badge.viewonly`))); badge != "View only" {
		t.Errorf("bob's badge: %q", badge)
	}
	if stop := get(t, bctx, chromedp.Evaluate[bool](`!!document.querySelector("#toolbar [commandfor=stop]")`)); stop {
		t.Error("a viewer is offered to stop the session")
	}
	if first == images.Desktop {
		frameShowsDesktop(t, bctx, failures)
		waitState(t, bctx, "connected", "Connected")
	} else {
		waitState(t, bctx, "loaded", "Loaded")
	}
	screenshot(t, bctx, "toolbar-viewer-"+mode)
	axeCheck(t, bctx, "viewer's session ("+mode+")")

	// Stopped elsewhere (the API), both pages say so.
	step(t, actx, "opening the session again", chromedp.Navigate(portal+"/sessions/"+one.URLID), chromedp.WaitVisible(`#session-frame`))
	alice.json("DELETE", "/api/v1/containers/"+one.URLID, nil, http.StatusNoContent, nil)
	for _, c := range []context.Context{actx, bctx} {
		step(t, c, "waiting for the page to say the session ended", chromedp.WaitVisible(`#ended`))
		if text := get(t, c, chromedp.Text(chromedp.CSS(`#ended`))); !strings.Contains(text, "This session has ended") {
			t.Errorf("the ended notice: %q", text)
		}
	}
	screenshot(t, actx, "toolbar-ended-"+mode)
	axeCheck(t, actx, "ended session ("+mode+")")

	// The toolbar's Stop asks first; Cancel keeps the session.
	step(t, actx, "opening the second session", chromedp.Navigate(portal+"/sessions/"+two.URLID), chromedp.WaitVisible(`#session-frame`))
	// On its own origin (subdomain mode), the browser only says it opened.
	opened := map[string]string{"path": "Loaded", "subdomain": "Opened"}[mode]
	waitState(t, actx, "loaded", opened)
	step(t, actx, "asking to stop", chromedp.Click(chromedp.CSS(`#toolbar [commandfor=stop]`)), chromedp.WaitVisible(`dialog#stop`))
	screenshot(t, actx, "toolbar-stop-confirm-"+mode)
	axeCheck(t, actx, "session's stop confirmation ("+mode+")")
	step(t, actx, "cancelling", chromedp.Click(chromedp.CSS(`dialog#stop button[formmethod=dialog]`)), chromedp.WaitNotVisible(`dialog#stop`))
	alice.json("GET", "/api/v1/containers/"+two.URLID, nil, http.StatusOK, nil)
	step(t, actx, "asking to stop again", chromedp.Click(chromedp.CSS(`#toolbar [commandfor=stop]`)), chromedp.WaitVisible(`dialog#stop`))
	// The click sends the form (a script click: Chromium may abort the
	// load as the container's network goes, which a Click action reports
	// as its own failure).
	get(t, actx, chromedp.Evaluate[bool](`document.querySelector("dialog#stop button.danger").click(), true`))
	var loc string
	for deadline := time.Now().Add(60 * time.Second); ; {
		ectx, cancel := context.WithTimeout(actx, 5*time.Second)
		loc, _ = chromedp.Run(ectx, chromedp.Evaluate[string](`document.querySelector("ul.apps") ? document.URL : ""`))
		cancel()
		if loc != "" {
			break
		}
		if onErrorPage(actx) {
			t.Logf("Chromium aborted the load after the stop: opening the portal")
			follow(t, actx, "opening the portal", chromedp.Navigate(portal+"/"), `ul.apps`)
			loc = portal + "/"
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stop did not lead to the portal; at %s", get(t, actx, chromedp.Location()))
		}
		step(t, actx, "waiting for the portal", chromedp.Sleep(200*time.Millisecond))
	}
	if loc != portal+"/" {
		t.Errorf("the stop led to %s", loc)
	}
	alice.json("GET", "/api/v1/containers/"+two.URLID, nil, http.StatusNotFound, nil)
}

// onSessionPage (JavaScript) is true on a session page.
const onSessionPage = `location.pathname.startsWith("/sessions/")`

// inFrame makes JavaScript that is true when cond (an expression of d, the
// document in the session page's frame, of the portal's own origin) is.
func inFrame(cond string) string {
	return `(d => !!(d && d.documentElement && (` + cond + `)))((document.getElementById("session-frame") || {}).contentDocument)`
}

// waitState waits for the toolbar's connection state, and checks what it
// says.
func waitState(t *testing.T, ctx context.Context, want, text string) {
	t.Helper()
	step(t, ctx, "waiting for the state "+want, chromedp.WaitVisible(`#state[data-state="`+want+`"]`))
	if got := get(t, ctx, chromedp.Text(chromedp.CSS(`#state`))); got != text {
		t.Errorf("the toolbar's state %s says %q, want %q", want, got, text)
	}
}

// waitFrameText waits for the frame (of the portal's own origin) to show
// want, loading the session page again when Chromium aborted its loads (see
// awaitPage), and returns the frame's text.
func waitFrameText(t *testing.T, ctx context.Context, failures func() string, since, want string) string {
	t.Helper()
	awaitPage(t, ctx, failures, since, "the frame showing "+want, onSessionPage+" && "+inFrame(`d.body && d.body.innerText.includes(`+strconv.Quote(want)+`)`))
	return get(t, ctx, chromedp.Evaluate[string](`document.getElementById("session-frame").contentDocument.body.innerText`))
}

// frameShowsDesktop waits for the starter desktop's panel inside the
// frame: some row of the frame's box mostly of the panel's colour. A frame
// whose loads Chromium aborted (see awaitPage) is loaded again with its page,
// at most twice, after 25 s each.
func frameShowsDesktop(t *testing.T, ctx context.Context, failures func() string) {
	t.Helper()
	var last error
	for reloads, since := 0, time.Now(); ; {
		shot := get(t, ctx, chromedp.CaptureScreenshot())
		box := get(t, ctx, chromedp.Evaluate[[]float64](`(() => {
			const r = document.getElementById("session-frame").getBoundingClientRect(), k = window.devicePixelRatio;
			return [r.left * k, r.top * k, r.right * k, r.bottom * k];
		})()`))
		if last = panelRow(shot, box); last == nil {
			return
		}
		if time.Since(since) > 25*time.Second {
			if reloads == 2 {
				break
			}
			reloads, since = reloads+1, time.Now()
			t.Logf("loading the session page again: %v; failed loads: %s", last, failures())
			step(t, ctx, "loading the session page again", chromedp.Reload(), chromedp.WaitVisible(`#session-frame`))
			continue
		}
		step(t, ctx, "waiting for the desktop in the frame", chromedp.Sleep(500*time.Millisecond))
	}
	screenshot(t, ctx, "toolbar-frame-without-desktop")
	t.Fatalf("the desktop's panel never showed in the frame: %v; failed loads: %s", last, failures())
}

// panelRow finds a row inside box (left, top, right, bottom) of a PNG
// screenshot that is mostly the desktop panel's colour.
func panelRow(shot []byte, box []float64) error {
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		return err
	}
	b := img.Bounds()
	if len(box) != 4 || box[2]-box[0] < 100 {
		return fmt.Errorf("the frame's box is %v", box)
	}
	x0, x1 := max(int(box[0]), b.Min.X), min(int(box[2]), b.Max.X)
	near := func(a uint32, b uint8) bool { d := int(a>>8) - int(b); return d > -12 && d < 12 }
	best := 0.0
	for y := min(int(box[3]), b.Max.Y) - 1; y > max(int(box[1]), b.Min.Y); y-- {
		n := 0
		for x := x0; x < x1; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r, panelColour.R) && near(g, panelColour.G) && near(bl, panelColour.B) {
				n++
			}
		}
		share := float64(n) / float64(x1-x0)
		if share >= 0.5 {
			return nil
		}
		best = max(best, share)
	}
	return fmt.Errorf("at best %.0f%% of a row has the panel's colour", best*100)
}

// portalShare shares the portal's running session with user from its
// share dialog, and waits for sel; again (at most twice) when Chromium
// aborted the load (see step), unless took says the aborted one took.
func portalShare(t *testing.T, ctx context.Context, portal, user, sel string, took func() bool) {
	t.Helper()
	const card = `li.app.running `
	for attempt := 0; ; attempt++ {
		follow(t, ctx, "opening the portal", chromedp.Navigate(portal), `ul.apps`)
		aborted, err := try(ctx, 30*time.Second,
			chromedp.Click(chromedp.CSS(card+`button[command="show-modal"]`)),
			chromedp.WaitVisible(chromedp.CSS(card+`dialog.share-dialog`)),
			chromedp.SetValue(chromedp.CSS(card+`form.share-form input[name="user"]`), user),
			chromedp.Click(chromedp.CSS(card+`form.share-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(sel)))
		if err == nil {
			return
		}
		if attempt == 2 || !aborted {
			t.Fatalf("sharing with %s from the portal: %v; page: %s", user, err, pageState(ctx))
		}
		if took != nil && took() {
			t.Logf("sharing with %s: Chromium aborted the answer, but the appliance did it", user)
			follow(t, ctx, "opening the portal", chromedp.Navigate(portal), sel)
			return
		}
		t.Logf("sharing with %s: again after Chromium aborted it: %v", user, err)
	}
}
