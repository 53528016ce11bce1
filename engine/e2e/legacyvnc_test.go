package e2e

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/images"
)

// legacyConnected waits until the legacy noVNC page at the current location
// is connected (see awaitPage), and returns the WebSocket address it used.
func legacyConnected(t *testing.T, ctx context.Context, failures func() string, since, who string) string {
	t.Helper()
	awaitPage(t, ctx, failures, since, who+"'s legacy noVNC connecting", `document.documentElement.dataset.state === "connected"`)
	return get(t, ctx, chromedp.Evaluate[string](`document.documentElement.dataset.websocket`))
}

// legacyAppliance builds testdata/legacyvnc (an image made for the original
// simphony-remote) and starts an appliance whose sessions stop at the end
// of the test.
func legacyAppliance(t *testing.T) (*appliancetest.Server, string) {
	t.Helper()
	requireStarters(t)
	dc := dockertest.Require(t)
	image := dockertest.BuildImage(t, dc, "legacyvnc", "testdata/legacyvnc",
		map[string]string{"legacyvnc-front": "./testdata/legacyvnc/front"}, map[string]string{"BASE": images.Desktop})
	s := appliancetest.Start(t)
	t.Cleanup(func() {
		for _, r := range s.App.Sessions().Routes().List() {
			_ = s.App.Sessions().StopAny(context.Background(), r.URLID, "test")
		}
	})
	return s, image
}

// TestLegacyVNCImage runs an image that behaves like those written for
// simphony-remote (testdata/legacyvnc: noVNC 0.4's page at the base URL, no
// vnc.html, a WebSocket asked for as '/' + path, i.e. //user/...) and opens
// its desktop in Chromium from the owner's portal and from a view-only
// share link.
func TestLegacyVNCImage(t *testing.T) {
	s, image := legacyAppliance(t)
	st := s.App.Store()
	// Made for the original simphony-remote, it starts as root: an
	// administrator must say so.
	if err := st.CreateApplication(t.Context(), accounting.Application{Image: image, RunAsRoot: true}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob"} {
		hash, _ := auth.HashPassword("password-" + u)
		if err := st.CreateUser(t.Context(), accounting.User{Name: u, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Grant(t.Context(), "alice", image, accounting.Policy{AllowView: true}); err != nil {
		t.Fatal(err)
	}

	// Alice starts it from the portal, which opens its session page, whose
	// frame opens the image's base URL; it connects there at the
	// resolution chosen on the portal.
	ctx := newChromium(t, s)
	failures := watchFailures(ctx)
	signIn(t, ctx, s.URL, "alice", "password-alice")
	since := failures()
	step(t, ctx, "starting the legacy desktop",
		chromedp.Click(chromedp.CSS(`li[data-name="Legacy desktop"] form button[type="submit"]`)))
	awaitPage(t, ctx, failures, since, "the legacy desktop connecting in its session page",
		onSessionPage+" && "+inFrame(`d.documentElement.dataset.state === "connected"`))
	m := regexp.MustCompile(`^` + regexp.QuoteMeta(s.URL) + `/sessions/([0-9a-f]{32})$`).FindStringSubmatch(get(t, ctx, chromedp.Location()))
	if m == nil {
		t.Fatalf("the start opened %s, want the session page", get(t, ctx, chromedp.Location()))
	}
	path := get(t, ctx, chromedp.AttributeValue(chromedp.CSS(`#session-frame`), "src")).Value
	if path != "/user/alice/containers/"+m[1]+"/" {
		t.Fatalf("the session page frames %q, want the session's base URL", path)
	}
	if size := get(t, ctx, chromedp.Evaluate[string](`(c => c ? c.width + "x" + c.height : "no canvas")(document.getElementById("session-frame").contentDocument.querySelector("#noVNC_screen canvas"))`)); size != "1366x768" {
		t.Errorf("the desktop drawn in the frame is %s, want the 1366x768 chosen on the portal", size)
	}
	step(t, ctx, "letting the desktop draw", chromedp.Sleep(2*time.Second))
	screenshot(t, ctx, "legacyvnc-owner-session-page")
	// Opened by itself (Open without the toolbar), the same.
	since = failures()
	step(t, ctx, "opening the desktop by itself", chromedp.Navigate(s.URL+path))
	ws := legacyConnected(t, ctx, failures, since, "alice")
	if want := "//" + strings.TrimPrefix(s.URL, "https://") + "/" + path + "websockify"; !strings.HasSuffix(ws, want) {
		t.Errorf("the page's WebSocket is %s; want one ending in %s (noVNC 0.4's doubled slash)", ws, want)
	}
	if size := get(t, ctx, chromedp.Evaluate[string](`(c => c ? c.width + "x" + c.height : "no canvas")(document.querySelector("#noVNC_screen canvas"))`)); size != "1366x768" {
		t.Errorf("the desktop drawn is %s, want the 1366x768 chosen on the portal", size)
	}
	step(t, ctx, "letting the desktop draw", chromedp.Sleep(2*time.Second))
	screenshot(t, ctx, "legacyvnc-owner")
	// Like simphony-remote's images, it has no vnc.html.
	owner := s.Login("alice", "password-alice")
	if resp := owner.Do("GET", path+"vnc.html", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the legacy image serves vnc.html: %d", resp.StatusCode)
	}

	// Alice shares it with bob, view only, from the portal.
	step(t, ctx, "sharing with bob",
		chromedp.Navigate(s.URL+"/"),
		chromedp.Click(chromedp.CSS(`li[data-name="Legacy desktop"] button[command="show-modal"]`)),
		chromedp.SendKeys(chromedp.CSS(`li[data-name="Legacy desktop"] form.share-form input[name="user"]`), "bob"),
		chromedp.Click(chromedp.CSS(`li[data-name="Legacy desktop"] form.share-form button[type="submit"]`)),
		chromedp.WaitReady(chromedp.CSS(`li[data-name="Legacy desktop"] form.share-row`)),
	)

	// Bob opens the link on his portal, in a browser context of his own.
	bctx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	bobFailures := watchFailures(bctx)
	signIn(t, bctx, s.URL, "bob", "password-bob")
	// His Open button leads to the toolbar page, whose frame shows the
	// owner's page, view only; that address opens it by itself too.
	urlID := strings.TrimSuffix(strings.TrimPrefix(path, "/user/alice/containers/"), "/")
	if link := get(t, bctx, chromedp.AttributeValue(chromedp.CSS(`li.shared[data-name="Legacy desktop"] a.button`), "href")).Value; link != "/sessions/"+urlID {
		t.Errorf("bob's link is %q, want his toolbar page", link)
	}
	step(t, bctx, "opening the share link", chromedp.Click(chromedp.CSS(`li.shared[data-name="Legacy desktop"] a.button`)), chromedp.WaitReady(`#session-frame`))
	if frame := get(t, bctx, chromedp.AttributeValue(chromedp.CSS(`#session-frame`), "src")).Value; frame != path+"?view_only=1&resize=scale" {
		t.Errorf("bob's toolbar page frames %q, want the owner's page, view only", frame)
	}
	since = bobFailures()
	step(t, bctx, "opening the shared page itself", chromedp.Navigate(s.URL+path+"?view_only=1&resize=scale"))
	ws = legacyConnected(t, bctx, bobFailures, since, "bob")
	if !strings.HasSuffix(ws, "/"+path+"websockify") {
		t.Errorf("bob's WebSocket is %s", ws)
	}
	if status := get(t, bctx, chromedp.Text(chromedp.CSS(`#noVNC_status`))); !strings.Contains(status, "(view only)") {
		t.Errorf("bob's page is not view-only: %q", status)
	}
	step(t, bctx, "letting the desktop draw", chromedp.Sleep(2*time.Second))
	screenshot(t, bctx, "legacyvnc-viewer")

	// The same kind of link opens a noVNC 1.x desktop (the starter's)
	// view-only as well: its base URL redirects to vnc.html, keeping the
	// query.
	if err := st.CreateApplication(t.Context(), accounting.Application{Image: images.Desktop}); err != nil {
		t.Fatal(err)
	}
	desktop, err := st.Grant(t.Context(), "alice", images.Desktop, accounting.Policy{AllowView: true})
	if err != nil {
		t.Fatal(err)
	}
	api := tokenFor(t, s, "alice", "password-alice")
	var starter wire.Container
	api.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: desktop}, http.StatusCreated, &starter)
	api.json("POST", "/api/v1/containers/"+starter.URLID+"/shares", wire.ShareRequest{User: "bob", Mode: "view"}, http.StatusCreated, nil)
	step(t, bctx, "opening the starter desktop's share link",
		chromedp.Navigate(s.URL+"/"),
		chromedp.Click(chromedp.CSS(`li.shared[data-name="Desktop"] a.button`)),
		chromedp.WaitReady(`#session-frame`),
	)
	frame := get(t, bctx, chromedp.AttributeValue(chromedp.CSS(`#session-frame`), "src")).Value
	since = bobFailures()
	step(t, bctx, "opening the framed page itself", chromedp.Navigate(s.URL+frame))
	awaitPage(t, bctx, bobFailures, since, "the starter desktop's share link connecting", `document.documentElement.classList.contains("noVNC_connected")`)
	if loc := get(t, bctx, chromedp.Location()); !strings.Contains(loc, starter.URLPath+"vnc.html?") || !strings.Contains(loc, "view_only=1") {
		t.Errorf("the starter desktop's share link opened %s", loc)
	}
	step(t, bctx, "letting the desktop draw", chromedp.Sleep(2*time.Second))
	screenshot(t, bctx, "starter-viewer")
}
