package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/images"
)

// localhostClient is an HTTPS client of the appliance that reaches every
// *.localhost name on 127.0.0.1, as browsers do, and follows no redirect.
func localhostClient(s *appliancetest.Server) *http.Client {
	c := s.Client()
	d := &net.Dialer{Timeout: 10 * time.Second}
	c.Transport = &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: s.CAPool()},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err == nil && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
				addr = net.JoinHostPort("127.0.0.1", port)
			}
			return d.DialContext(ctx, network, addr)
		},
	}
	return c
}

// hostileLoot is what the hostile application gathered.
type hostileLoot struct {
	Reports []string `json:"reports"`
	Cookies []string `json:"cookies"`
}

// TestHostileSessionCannotActAsViewer is issue 11's first attack: a web
// application under its owner's control, shared view-only with an
// administrator, tries from the viewer's browser to read who the viewer
// is, to make an API token in the viewer's name (on its own origin and on
// the portal's), and to set the appliance's cookie. Served on an origin of
// its own (subdomain mode on localhost), it gets nothing, and the viewer's
// sign-in is untouched.
func TestHostileSessionCannotActAsViewer(t *testing.T) {
	requireChromium(t)
	dc := dockertest.Require(t)
	s := appliancetest.Start(t, appliancetest.WithConfig(func(c *config.Config) {
		c.TLS.Hostnames = []string{"localhost", "127.0.0.1"}
	}))
	t.Cleanup(func() {
		for _, r := range s.App.Sessions().Routes().List() {
			_ = s.App.Sessions().StopAny(context.Background(), r.URLID, "test")
		}
	})
	ctx := t.Context()
	image := dockertest.TestAppImage(t, dc, "e2e-hostile-"+s.Config.Realm, map[string]string{"TESTAPP_MODE": "hostile"})
	st := s.App.Store()
	if err := st.CreateApplication(ctx, accounting.Application{Image: image}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []accounting.User{{Name: "alice"}, {Name: "carol", Admin: true}} {
		u.PasswordHash, _ = auth.HashPassword("password-" + u.Name)
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	mapping, err := st.Grant(ctx, "alice", image, accounting.Policy{AllowView: true})
	if err != nil {
		t.Fatal(err)
	}
	alice := tokenFor(t, s, "alice", "password-alice")
	var session wire.Container
	alice.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: mapping}, 201, &session)
	alice.json("POST", "/api/v1/containers/"+session.URLID+"/shares", wire.ShareRequest{User: "carol", Mode: "view"}, 201, nil)

	_, port, _ := net.SplitHostPort(s.Config.Listen)
	portal := "https://localhost:" + port
	origin := "https://" + session.URLID + ".localhost:" + port
	sessionCertificate(t, s, session.URLID)

	// The viewer signs in on the portal and opens the shared session.
	bctx := newChromium(t, s)
	signIn(t, bctx, portal, "carol", "password-carol")
	before := portalCookies(t, bctx, portal)
	if len(before) != 1 || before[0].Name != auth.CookieName {
		t.Fatalf("carol's cookies on the portal after signing in: %s", cookieList(before))
	}
	failures := watchFailures(bctx)
	since := failures()
	step(t, bctx, "opening the shared session", chromedp.Navigate(portal+session.URLPath))
	awaitPage(t, bctx, failures, since, "the hostile page reporting", `((document.getElementById("out") || {}).textContent || "").startsWith("reported")`)
	if loc := get(t, bctx, chromedp.Location()); !strings.HasPrefix(loc, origin+session.URLPath) {
		t.Errorf("the session page is at %s, want on its own origin %s", loc, origin)
	}

	// What reached the container: the page's reports and the requests'
	// credentials.
	code, body := getFollowing(t, localhostClient(s), s.URL+session.URLPath+"loot", alice.token)
	var loot hostileLoot
	if err := json.Unmarshal([]byte(body), &loot); err != nil || code != http.StatusOK {
		t.Fatalf("the loot: %d %v: %s", code, err, body)
	}
	if len(loot.Reports) == 0 {
		t.Fatal("the hostile page sent no report: the test would prove nothing")
	}
	for _, rep := range loot.Reports {
		var r struct {
			Results []struct{ Base, Me, Token string } `json:"results"`
		}
		if err := json.Unmarshal([]byte(rep), &r); err != nil || len(r.Results) == 0 {
			t.Fatalf("a report that tried nothing (%v): %s", err, rep)
		}
		t.Logf("the hostile page reported: %s", rep)
		for _, res := range r.Results {
			if strings.HasPrefix(res.Me, "200") || strings.Contains(res.Me, `"carol"`) {
				t.Errorf("the session read who the viewer is at %s: %s", res.Base, res.Me)
			}
			if strings.HasPrefix(res.Token, "201") || strings.Contains(res.Token, auth.TokenPrefix) {
				t.Errorf("the session made a token in the viewer's name at %s: %s", res.Base, res.Token)
			}
		}
	}
	viewerCookie := before[0].Value
	for _, c := range loot.Cookies {
		if strings.Contains(strings.ToLower(c), "__host-simphony") || strings.Contains(c, viewerCookie) || strings.Contains(c, auth.TokenPrefix) {
			t.Errorf("the appliance's credentials reached the session: %q", c)
		}
	}
	tokens, err := s.App.State().Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if tok.User == "carol" {
			t.Errorf("a token exists in the viewer's name: %+v", tok)
		}
	}

	// The viewer's sign-in is untouched and still works.
	after := portalCookies(t, bctx, portal)
	if len(after) != 1 || after[0].Value != viewerCookie {
		t.Errorf("carol's cookies on the portal changed: %s, were %s", cookieList(after), cookieList(before))
	}
	step(t, bctx, "back to the portal", chromedp.Navigate(portal+"/"), chromedp.WaitVisible(chromedp.CSS(`ul.apps`)))
	if who := get(t, bctx, chromedp.Text(chromedp.CSS(`.who`))); !strings.Contains(who, "carol") {
		t.Errorf("the portal after the visit shows %q, want carol signed in", who)
	}
	if warned := get(t, bctx, chromedp.Evaluate[bool](`!!document.querySelector(".flash.warning")`)); warned {
		t.Error("the administrator is warned about path origins in subdomain mode")
	}

	// WebSockets to a session come from its own origin's pages, or from no
	// page (a client with a token).
	wsURL := "wss://" + session.URLID + ".localhost:" + port + session.URLPath + "ws"
	for _, o := range []struct {
		origin string
		ok     bool
	}{{origin, true}, {"", true}, {portal, false}, {"https://" + strings.Repeat("0", 32) + ".localhost:" + port, false}} {
		hdr := http.Header{"Authorization": {"Bearer " + alice.token}}
		if o.origin != "" {
			hdr.Set("Origin", o.origin)
		}
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		c, resp, err := websocket.Dial(dctx, wsURL, &websocket.DialOptions{HTTPClient: localhostClient(s), HTTPHeader: hdr})
		cancel()
		switch {
		case o.ok && err != nil:
			t.Errorf("a WebSocket with Origin %q: %v", o.origin, err)
		case !o.ok && (err == nil || resp == nil || resp.StatusCode != http.StatusForbidden):
			t.Errorf("a WebSocket with Origin %q was not refused with 403: %v", o.origin, err)
		}
		if c != nil {
			c.CloseNow()
		}
	}

	// A name of no running session gets no certificate.
	if resp, err := localhostClient(s).Get("https://" + strings.Repeat("0", 32) + ".localhost:" + port + "/"); err == nil {
		resp.Body.Close()
		t.Error("the origin of no session completed a TLS handshake")
	}

	// A session's origin serves that session and nothing else.
	hc := localhostClient(s)
	for _, p := range []string{"/api/v1/me", "/login", "/", "/healthz", "/user/alice/containers/" + strings.Repeat("0", 32) + "/"} {
		resp, err := hc.Get(origin + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s on the session's origin: %d, want 404", p, resp.StatusCode)
		}
	}
}

// portalCookies are the browser's cookies for the portal whose names are
// the appliance's, in any case.
func portalCookies(t *testing.T, ctx context.Context, portal string) []*network.Cookie {
	t.Helper()
	res := get(t, ctx, chromedp.Action[*network.GetCookiesResult](func(ctx context.Context, tg *chromedp.Target) (*network.GetCookiesResult, error) {
		r, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{portal + "/"}})
		return &r, err
	}))
	var ours []*network.Cookie
	for _, c := range res.Cookies {
		if strings.Contains(strings.ToLower(c.Name+c.Value), "simphony") {
			ours = append(ours, c)
		}
	}
	return ours
}

func cookieList(cs []*network.Cookie) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name+"="+c.Value)
	}
	return strings.Join(out, "; ")
}

// getFollowing GETs u with an API token, following the appliance's
// redirects to a session's origin (which keep the token).
func getFollowing(t *testing.T, c *http.Client, u, token string) (int, string) {
	t.Helper()
	for range 3 {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusTemporaryRedirect {
			return resp.StatusCode, string(body)
		}
		u = resp.Header.Get("Location")
	}
	t.Fatalf("too many redirects from %s", u)
	return 0, ""
}

// sessionCertificate has the appliance issue the certificate of session
// urlID's origin (on demand, at a first handshake), so that Chromium,
// started next, is told to accept its key (leafSPKI).
func sessionCertificate(t *testing.T, s *appliancetest.Server, urlID string) {
	t.Helper()
	_, port, _ := net.SplitHostPort(s.Config.Listen)
	resp, err := localhostClient(s).Get("https://" + urlID + ".localhost:" + port + "/")
	if err != nil {
		t.Fatalf("the session's origin does not answer over HTTPS: %v", err)
	}
	resp.Body.Close()
	name := urlID + ".localhost"
	waitForFile(t, filepath.Join(s.Config.DataDir, "caddy", "certificates", "local", name, name+".crt"))
}

// waitForFile waits for a file the appliance makes in the background.
func waitForFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within 30 s", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPathOriginsWarning: on an IP address, sessions share the portal's
// origin, and the administrators' pages say what that risks.
func TestPathOriginsWarning(t *testing.T) {
	s := newSetup(t) // 127.0.0.1: path origins
	if got := s.Config.Origins(); got != config.OriginsPath {
		t.Fatalf("origins on 127.0.0.1: %s", got)
	}
	admin := appliancetest.ReadBody(s.Login("admin", s.AdminPassword).Do("GET", "/", nil, nil))
	if !strings.Contains(admin, `class="flash warning"`) || !strings.Contains(admin, "can act as whoever opens it") {
		t.Errorf("the administrator's portal does not warn about path origins:\n%s", admin)
	}
	if user := appliancetest.ReadBody(s.Login("alice", "password-alice").Do("GET", "/", nil, nil)); strings.Contains(user, "flash warning") {
		t.Error("a user who is no administrator is shown the warning")
	}
}

// subdomainSession starts an appliance in subdomain mode (the default on
// localhost) with image as the administrator's one application, and a
// session of it through the API (with configurables), so that Chromium
// can be told to accept its origin's certificate, issued on demand (see
// leafSPKI). It returns the appliance, the portal's URL and the session.
func subdomainSession(t *testing.T, image string, configurables map[string]string) (*appliancetest.Server, string, wire.Container) {
	t.Helper()
	requireStarters(t)
	s := appliancetest.Start(t, appliancetest.WithConfig(func(c *config.Config) {
		c.TLS.Hostnames = []string{"localhost", "127.0.0.1"}
		c.DemoApplications = []string{image}
	}))
	t.Cleanup(func() {
		for _, r := range s.App.Sessions().Routes().List() {
			_ = s.App.Sessions().StopAny(context.Background(), r.URLID, "test")
		}
	})
	_, port, _ := net.SplitHostPort(s.Config.Listen)
	admin := tokenFor(t, s, "admin", s.AdminPassword)
	var apps []wire.UserApplication
	admin.json("GET", "/api/v1/applications", nil, 200, &apps)
	if len(apps) != 1 {
		t.Fatalf("the administrator's applications: %+v", apps)
	}
	var session wire.Container
	admin.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: apps[0].MappingID, Configurables: configurables}, 201, &session)
	sessionCertificate(t, s, session.URLID)
	return s, "https://localhost:" + port, session
}

// TestDesktopOnItsOwnOrigin opens the starter desktop from the portal in
// subdomain mode, in Chromium: the portal hands the browser over to the
// session's origin, where noVNC connects its WebSocket (whose Origin the
// appliance checks).
func TestDesktopOnItsOwnOrigin(t *testing.T) {
	s, portal, session := subdomainSession(t, images.Desktop, map[string]string{"resolution": "1280x800"})
	_, port, _ := net.SplitHostPort(s.Config.Listen)
	ctx := newChromium(t, s)
	failures := watchFailures(ctx)
	signIn(t, ctx, portal, "admin", s.AdminPassword)
	// (Without the toolbar page: the desktop itself, at the top.)
	since := failures()
	step(t, ctx, "opening the desktop",
		chromedp.WaitVisible(chromedp.CSS(`li[data-name="Desktop"] p.plain a`)),
		chromedp.Click(chromedp.CSS(`li[data-name="Desktop"] p.plain a`)),
	)
	awaitPage(t, ctx, failures, since, "noVNC connecting", `document.documentElement.classList.contains("noVNC_connected")`)
	loc := get(t, ctx, chromedp.Location())
	if !strings.HasPrefix(loc, "https://"+session.URLID+".localhost:"+port+session.URLPath+"vnc.html") {
		t.Fatalf("the desktop connected at %s, want on its own origin", loc)
	}

	// Stopped, the session's certificate goes with it: one per session
	// would otherwise pile up in the data dir.
	tokenFor(t, s, "admin", s.AdminPassword).json("DELETE", "/api/v1/containers/"+session.URLID, nil, 204, nil)
	name := session.URLID + ".localhost"
	cert := filepath.Join(s.Config.DataDir, "caddy", "certificates", "local", name)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(cert); errors.Is(err, fs.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is still there 10 s after the session stopped", cert)
		}
	}
	if _, err := os.Stat(filepath.Join(s.Config.DataDir, "caddy", "certificates", "local", "localhost")); err != nil {
		t.Errorf("the portal's own certificate: %v", err)
	}
}
