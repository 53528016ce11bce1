// Package e2e tests the whole appliance: real HTTPS through the embedded
// Caddy, real sign-in, real containers on the real Docker Engine.
package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
)

// setup starts an appliance with users alice and bob (password
// "password-<name>") and the test app granted to both.
type setup struct {
	*appliancetest.Server
	image          string
	aliceID, bobID string
}

func newSetup(t *testing.T, opts ...appliancetest.Option) *setup {
	t.Helper()
	dc := dockertest.Require(t)
	s := &setup{Server: appliancetest.Start(t, opts...)}
	s.image = dockertest.TestAppImage(t, dc, "e2e-"+s.Config.Realm, nil)
	ctx := t.Context()
	store := s.App.Store()
	if err := store.CreateApplication(ctx, accounting.Application{Image: s.image}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob"} {
		hash, err := auth.HashPassword("password-" + u)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.CreateUser(ctx, accounting.User{Name: u, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
		id, err := store.Grant(ctx, u, s.image, accounting.Policy{AllowHome: true})
		if err != nil {
			t.Fatal(err)
		}
		if u == "alice" {
			s.aliceID = id
		} else {
			s.bobID = id
		}
	}
	t.Cleanup(func() {
		for _, r := range s.App.Sessions().Routes().List() {
			_ = s.App.Sessions().StopAny(context.Background(), r.URLID, "test")
		}
	})
	return s
}

// start starts a session through the portal, follows the progress page
// until it opens the session page, and returns the URL path its frame
// opens: the session's own.
func (s *setup) start(t *testing.T, b *appliancetest.Browser, mapping string) string {
	t.Helper()
	return startSession(t, b, mapping)
}

func startSession(t *testing.T, b *appliancetest.Browser, mapping string) string {
	t.Helper()
	resp := b.PostForm("/start", url.Values{"mapping_id": {mapping}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/starting/"+mapping {
		t.Fatalf("start: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp := b.Do("GET", "/starting/"+mapping, nil, nil)
		body := appliancetest.ReadBody(resp)
		if resp.StatusCode == http.StatusSeeOther {
			// It opens the session page, whose frame shows the session.
			loc := resp.Header.Get("Location")
			m := regexp.MustCompile(`^/sessions/([0-9a-f]{32})$`).FindStringSubmatch(loc)
			if m == nil {
				t.Fatalf("the progress page sent to %q, want the session page", loc)
			}
			resp := b.Do("GET", loc, nil, http.Header{"Accept": {"text/html"}})
			page := appliancetest.ReadBody(resp)
			frame := regexp.MustCompile(`<iframe id="session-frame"[^>]* src="(/user/[a-z]+/containers/` + m[1] + `/)"`).FindStringSubmatch(page)
			if resp.StatusCode != http.StatusOK || frame == nil {
				t.Fatalf("the session page %s: %d, without a frame of the session:\n%s", loc, resp.StatusCode, page)
			}
			return frame[1]
		}
		if strings.Contains(body, "flash error") || time.Now().After(deadline) {
			t.Fatalf("the start did not finish: %d\n%s", resp.StatusCode, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type report struct {
	Path    string              `json:"path"`
	Env     map[string]string   `json:"env"`
	Headers map[string][]string `json:"headers"`
}

func TestSignInAndOut(t *testing.T) {
	s := newSetup(t)
	b := s.NewBrowser()

	// Anonymous: the portal sends to the sign-in page.
	resp := b.Do("GET", "/", nil, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2F" {
		t.Fatalf("anonymous portal: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp.Body.Close()
	page := appliancetest.ReadBody(b.Do("GET", "/login", nil, nil))
	if !strings.Contains(page, `name="password"`) {
		t.Fatalf("login page:\n%s", page)
	}

	// Wrong password.
	resp = b.PostForm("/login", url.Values{"username": {"alice"}, "password": {"nope"}})
	if body := appliancetest.ReadBody(resp); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong user name or password") {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	// A sign-in from another site is refused.
	resp = b.Do("POST", "/login", strings.NewReader("username=alice&password=password-alice"),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {"https://evil.example"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site sign-in: %d", resp.StatusCode)
	}
	resp.Body.Close()

	// Right password: a secure, host-only, strict session cookie that
	// outlives the browser, for as long as the login may last.
	resp = b.PostForm("/login", url.Values{"username": {"Alice"}, "password": {"password-alice"}, "next": {"//evil.example/"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("sign-in: %d, to %q (an off-site next must become /)", resp.StatusCode, resp.Header.Get("Location"))
	}
	cookie := resp.Header.Get("Set-Cookie")
	maxAge := fmt.Sprintf("Max-Age=%d", int(s.Config.Auth.SessionMax.D().Seconds()))
	for _, want := range []string{auth.CookieName + "=", "Path=/", "HttpOnly", "Secure", "SameSite=Strict", maxAge} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	b.RefreshCSRF()
	portal := appliancetest.ReadBody(b.Do("GET", "/", nil, nil))
	if !strings.Contains(portal, "Test app e2e-") || !strings.Contains(portal, "alice") {
		t.Fatalf("portal:\n%s", portal)
	}

	// Sign-out needs the CSRF token.
	resp = b.PostForm("/logout", url.Values{"csrf_token": {"forged"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-out with a forged token: %d", resp.StatusCode)
	}
	resp.Body.Close()
	old := cookieValue(t, b)
	resp = b.PostForm("/logout", url.Values{})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	// The old cookie is dead on the server, not only deleted in the browser.
	replay := s.NewBrowser()
	replay.Jar.SetCookies(mustURL(t, s.URL), []*http.Cookie{{Name: auth.CookieName, Value: old}})
	resp = replay.Do("GET", "/", nil, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("portal with a signed-out cookie: %d", resp.StatusCode)
	}
}

func cookieValue(t *testing.T, b *appliancetest.Browser) string {
	t.Helper()
	for _, c := range b.Jar.Cookies(mustURL(t, b.Do("GET", "/healthz", nil, nil).Request.URL.String())) {
		if c.Name == auth.CookieName {
			return c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Failed sign-ins lock a name out at the address they came from only: the
// right password from another address still signs in (the CLI's app login
// posts this same form).
func TestLockout(t *testing.T) {
	s := newSetup(t)
	b := s.NewBrowser()
	for i := range 5 {
		resp := b.PostForm("/login", url.Values{"username": {"bob"}, "password": {fmt.Sprint("guess", i)}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	resp := b.PostForm("/login", url.Values{"username": {"bob"}, "password": {"password-bob"}})
	body := appliancetest.ReadBody(resp)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many failed sign-ins. Try again in 15 minutes.") {
		t.Fatalf("after 5 failures: %d, Retry-After %q:\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	// Bob, from another address, signs in at once.
	other := s.NewBrowser()
	other.Client.Transport.(*http.Transport).DialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext
	resp = other.PostForm("/login", url.Values{"username": {"bob"}, "password": {"password-bob"}, "next": {"/"}})
	if body := appliancetest.ReadBody(resp); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob's right password from another address: %d\n%s", resp.StatusCode, body)
	}
	// Another user is not locked out by bob's failures.
	s.Login("alice", "password-alice")
}

func TestProxy(t *testing.T) {
	s := newSetup(t)
	alice := s.Login("alice", "password-alice")
	path := s.start(t, alice, s.aliceID)

	// Through the proxy, with the full path, as alice, without our cookie.
	resp := alice.Do("GET", path+"?x=1", nil, http.Header{
		"Cookie":        {"app_pref=dark"},
		"X-Remote-User": {"root"},
		"Accept":        {"application/json"},
	})
	var rep report
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("proxied GET: %d, %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if rep.Path != path {
		t.Errorf("the application saw path %q, want %q", rep.Path, path)
	}
	if got := rep.Headers["X-Remote-User"]; len(got) != 1 || got[0] != "alice" {
		t.Errorf("X-Remote-User = %q, want only alice", got)
	}
	cookies := strings.Join(rep.Headers["Cookie"], ";")
	if strings.Contains(cookies, auth.CookieName) || !strings.Contains(cookies, "app_pref=dark") {
		t.Errorf("cookies reaching the application: %q", cookies)
	}
	if rep.Env["JPY_USER"] != "alice" {
		t.Errorf("JPY_USER = %q", rep.Env["JPY_USER"])
	}

	// A WebSocket round trip through the proxy.
	wsURL := "wss" + strings.TrimPrefix(s.URL, "https") + path + "ws"
	hc := s.Client()
	hc.Jar = alice.Jar
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: hc, HTTPHeader: http.Header{"Origin": {s.URL}}})
	if err != nil {
		t.Fatalf("WebSocket through the proxy: %v", err)
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	for _, msg := range []string{"hello", strings.Repeat("x", 100_000)} {
		if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.Read(ctx)
		if err != nil || string(got) != msg {
			t.Fatalf("echo of %d bytes: %d bytes, %v", len(msg), len(got), err)
		}
	}
	c.Close(websocket.StatusNormalClosure, "")

	// Without the trailing slash: redirected onto the base path.
	resp = alice.Do("GET", strings.TrimSuffix(path, "/"), nil, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != path {
		t.Errorf("no trailing slash: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Paths a proxy and an application could read differently.
	for _, bad := range []string{path + "../../bob/", path + "a%2fb", path + "a%5cb", path + "./x"} {
		req, _ := http.NewRequest("GET", s.URL+bad, nil)
		req.URL.Opaque = "" // keep the path as written
		req.URL.RawPath = bad
		resp, err := alice.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 400 or 404", bad, resp.StatusCode)
		}
	}
	// Cross-site unsafe requests into a session are refused.
	resp = alice.Do("POST", path+"write?name=x&data=y", nil, http.Header{"Origin": {"https://evil.example"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST into a session: %d", resp.StatusCode)
	}
}

func TestIsolation(t *testing.T) {
	s := newSetup(t)
	alice := s.Login("alice", "password-alice")
	path := s.start(t, alice, s.aliceID)
	bob := s.Login("bob", "password-bob")

	// Bob: 404, whether he asks for alice's path or puts his name on it.
	bobsPath := strings.Replace(path, "/user/alice/", "/user/bob/", 1)
	for _, p := range []string{path, bobsPath, path + "anything", "/user/alice/containers/" + strings.Repeat("0", 32) + "/"} {
		resp := bob.Do("GET", p, nil, nil)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("bob GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	// Bob cannot stop alice's session either.
	urlID := strings.Split(path, "/")[4]
	resp := bob.PostForm("/stop", url.Values{"url_id": {urlID}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("bob stopping alice's session: %d", resp.StatusCode)
	}

	// Anonymous: browsers go to sign-in, API clients get 401.
	anon := s.NewBrowser()
	resp = anon.Do("GET", path, nil, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Errorf("anonymous browser: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp = anon.Do("GET", path, nil, http.Header{"Accept": {"application/json"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous API client: %d", resp.StatusCode)
	}
	// A forged cookie is nobody.
	forged := s.NewBrowser()
	forged.Jar.SetCookies(mustURL(t, s.URL), []*http.Cookie{{Name: auth.CookieName, Value: strings.Repeat("A", 43)}})
	resp = forged.Do("GET", path, nil, http.Header{"Accept": {"application/json"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged cookie: %d", resp.StatusCode)
	}

	// Alice still gets in, and can stop it.
	resp = alice.Do("GET", path, nil, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("alice: %d", resp.StatusCode)
	}
	resp = alice.PostForm("/stop", url.Values{"url_id": {urlID}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("alice stopping: %d", resp.StatusCode)
	}
	resp = alice.Do("GET", path, nil, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a stopped session: %d, want 404", resp.StatusCode)
	}
}

func TestCSRF(t *testing.T) {
	s := newSetup(t)
	alice := s.Login("alice", "password-alice")
	for name, form := range map[string]url.Values{
		"no token":     {"mapping_id": {s.aliceID}, "csrf_token": {""}},
		"forged token": {"mapping_id": {s.aliceID}, "csrf_token": {"x"}},
	} {
		req := url.Values{}
		for k, v := range form {
			req[k] = v
		}
		resp := alice.Do("POST", "/start", strings.NewReader(req.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, resp.StatusCode)
		}
	}
	resp := alice.Do("POST", "/start", strings.NewReader(url.Values{"mapping_id": {s.aliceID}, "csrf_token": {alice.CSRF}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {"https://evil.example"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site with the right token: %d, want 403", resp.StatusCode)
	}
	if n := s.App.Sessions().Routes().Len(); n != 0 {
		t.Errorf("%d sessions started by refused requests", n)
	}
	// Oversized forms are refused.
	resp = alice.PostForm("/start", url.Values{"mapping_id": {strings.Repeat("x", 20<<10)}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized form: %d", resp.StatusCode)
	}
}

func TestRestartKeepsSessions(t *testing.T) {
	s := newSetup(t)
	alice := s.Login("alice", "password-alice")
	path := s.start(t, alice, s.aliceID)
	s.Restart()
	// The sign-in and the session both survive; no new start.
	resp := alice.Do("GET", path, nil, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the session after a restart: %d", resp.StatusCode)
	}
	if n := s.App.Sessions().Routes().Len(); n != 1 {
		t.Errorf("%d routes after the restart, want 1", n)
	}
}

func TestUnreachableAndDeadSessions(t *testing.T) {
	s := newSetup(t)
	alice := s.Login("alice", "password-alice")

	// An application that stops answering while its container runs: 502,
	// and the session stays.
	path := s.start(t, alice, s.aliceID)
	resp := alice.Do("GET", path+"unlisten", nil, nil)
	resp.Body.Close()
	resp = alice.Do("GET", path, nil, nil)
	body := appliancetest.ReadBody(resp)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "not answering right now") {
		t.Fatalf("an application that stopped answering: %d\n%s", resp.StatusCode, body)
	}
	urlID := strings.Split(path, "/")[4]
	r, ok := s.App.Sessions().Get(urlID)
	if !ok {
		t.Fatal("the route of a running container was dropped")
	}

	// A container that died: a clear 502 (or 404 once the Docker event has
	// removed the route), and the route goes.
	if err := s.App.Docker().API().ContainerKill(t.Context(), r.ContainerID, "KILL"); err != nil {
		t.Fatal(err)
	}
	resp = alice.Do("GET", path, nil, nil)
	body = appliancetest.ReadBody(resp)
	switch {
	case resp.StatusCode == http.StatusBadGateway && strings.Contains(body, "This application has stopped"):
	case resp.StatusCode == http.StatusNotFound:
	default:
		t.Fatalf("a dead session answers %d\n%s", resp.StatusCode, body)
	}
	for end := time.Now().Add(15 * time.Second); ; {
		if _, ok := s.App.Sessions().Get(urlID); !ok {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the dead session's route remains")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestOperations(t *testing.T) {
	s := newSetup(t)
	admin := s.Login("admin", s.AdminPassword)
	c := s.Client()

	// Health, with its checks for an administrator.
	resp := admin.Do("GET", "/healthz", nil, nil)
	var health struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || health.Status != "ok" || health.Checks["docker"] != "ok" || health.Checks["store"] != "ok" {
		t.Errorf("healthz: %d %+v", resp.StatusCode, health)
	}

	// Metrics for an administrator, after a session start.
	alice := s.Login("alice", "password-alice")
	path := s.start(t, alice, s.aliceID)
	alice.Do("GET", path, nil, nil).Body.Close()
	// The proxy counts a request after answering it: poll.
	wants := []string{
		`simphony_remote_session_starts_total{result="ok"} 1`, "simphony_remote_sessions_running 1",
		"simphony_remote_signed_in_users 2", "simphony_remote_session_start_seconds_bucket", `simphony_remote_proxy_requests_total{code="200"}`,
	}
	var metrics string
	for deadline := time.Now().Add(10 * time.Second); ; {
		metrics = appliancetest.ReadBody(admin.Do("GET", "/metrics", nil, nil))
		missing := ""
		for _, want := range wants {
			if !strings.Contains(metrics, want) {
				missing = want
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack %q:\n%s", missing, metrics)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The local CA: served, and its fingerprint on the sign-in page.
	resp, err := c.Get(s.URL + "/ca.crt")
	if err != nil {
		t.Fatal(err)
	}
	caPEM := appliancetest.ReadBody(resp)
	onDisk, _ := os.ReadFile(s.Config.DataDir + "/caddy/pki/authorities/local/root.crt")
	if caPEM != string(onDisk) || resp.Header.Get("Content-Type") != "application/x-x509-ca-cert" {
		t.Fatalf("/ca.crt differs from the CA on disk (%q)", resp.Header.Get("Content-Type"))
	}
	block, _ := pem.Decode([]byte(caPEM))
	sum := sha256.Sum256(block.Bytes)
	fp := strings.ToUpper(fmt.Sprintf("% x", sum[:]))
	fp = strings.ReplaceAll(fp, " ", ":")
	if login := appliancetest.ReadBody(s.NewBrowser().Do("GET", "/login", nil, nil)); !strings.Contains(login, fp) {
		t.Errorf("the sign-in page does not show the CA fingerprint %s", fp)
	}

	// Security headers on pages.
	resp = alice.Do("GET", "/", nil, nil)
	resp.Body.Close()
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("the portal lacks %s", h)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self'") {
		t.Errorf("CSP %q", csp)
	}

	// The first administrator was announced once.
	if out := s.Out.String(); !strings.Contains(out, "First administrator: user admin") || !strings.Contains(out, "SimPhoNy Remote is running at https://127.0.0.1:") {
		t.Errorf("operator output:\n%s", out)
	}
	s.Restart()
	if n := strings.Count(s.Out.String(), "First administrator"); n != 1 {
		t.Errorf("the first administrator was announced %d times", n)
	}
	s.Login("admin", s.AdminPassword)
}

// A request for a session whose route is missing while its container runs
// (as between a restart and the first reconcile) repairs the route from the
// container's labels.
func TestRepairMissingRoute(t *testing.T) {
	s := newSetup(t)
	alice := s.Login("alice", "password-alice")
	path := s.start(t, alice, s.aliceID)
	urlID := strings.Split(path, "/")[4]
	before, _ := s.App.Sessions().Get(urlID)
	s.App.Sessions().Routes().Delete(urlID)
	resp := alice.Do("GET", path, nil, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a session with a missing route: %d", resp.StatusCode)
	}
	after, ok := s.App.Sessions().Get(urlID)
	if !ok || after.ContainerID != before.ContainerID || after.Upstream != before.Upstream || after.User != "alice" {
		t.Errorf("repaired route %+v, was %+v", after, before)
	}
	// Bob's request for it does not repair anything for him.
	s.App.Sessions().Routes().Delete(urlID)
	bob := s.Login("bob", "password-bob")
	resp = bob.Do("GET", path, nil, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("bob: %d", resp.StatusCode)
	}
}

// TestStartProgress follows starts on the progress page's JSON: steps, then
// the session's URL, or the reason it failed. The page's script passes the
// steps it has seen (wait=N), and each answer waits for news.
func TestStartProgress(t *testing.T) {
	s := newSetup(t)
	alice := s.Login("alice", "password-alice")
	ctx := t.Context()
	if err := s.App.Store().CreateApplication(ctx, accounting.Application{Image: "simphony-remote-test/absent:1"}); err != nil {
		t.Fatal(err)
	}
	absent, err := s.App.Store().Grant(ctx, "alice", "simphony-remote-test/absent:1", accounting.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	type state struct {
		Name, State, URL, Message string
		Steps                     []string
	}
	follow := func(mapping string) state {
		t.Helper()
		resp := alice.PostForm("/start", url.Values{"mapping_id": {mapping}})
		resp.Body.Close()
		seen := 0
		for deadline := time.Now().Add(60 * time.Second); ; {
			resp := alice.Do("GET", fmt.Sprintf("/starting/%s?format=json&wait=%d", mapping, seen), nil, http.Header{"Accept": {"application/json"}})
			var st state
			if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if st.State != "starting" || time.Now().After(deadline) {
				return st
			}
			if len(st.Steps) == seen {
				t.Fatalf("an answer to wait=%d without news: %+v", seen, st)
			}
			seen = len(st.Steps)
		}
	}
	ok := follow(s.aliceID)
	if ok.State != "ready" || !regexp.MustCompile(`^/sessions/[0-9a-f]{32}$`).MatchString(ok.URL) || !strings.Contains(ok.Name, "Test app") {
		t.Errorf("a good start: %+v", ok)
	}
	if strings.Join(ok.Steps, ",") != "image inspected,container created,container started,waiting for HTTP,ready" {
		t.Errorf("steps: %q", ok.Steps)
	}
	bad := follow(absent)
	if bad.State != "failed" || !strings.Contains(bad.Message, "not installed") {
		t.Errorf("a start of a missing image: %+v", bad)
	}
	page := appliancetest.ReadBody(alice.Do("GET", "/starting/"+absent, nil, nil))
	if !strings.Contains(page, "not installed") {
		t.Errorf("the progress page of a failed start:\n%s", page)
	}
	// A wait that is not a count of steps is refused, saying why.
	for _, wait := range []string{"-1", "two", ""} {
		resp := alice.Do("GET", "/starting/"+absent+"?format=json&wait="+wait, nil, http.Header{"Accept": {"application/json"}})
		if body := appliancetest.ReadBody(resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "wait must be the number of steps seen") {
			t.Errorf("wait=%q: %d %s", wait, resp.StatusCode, body)
		}
	}
	// Another user's mapping id is unknown to alice.
	resp := alice.PostForm("/start", url.Values{"mapping_id": {s.bobID}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("starting bob's grant: %d", resp.StatusCode)
	}
}

// TestPortalSharing shares a session from the portal, as its owner would.
func TestPortalSharing(t *testing.T) {
	s := newSetup(t)
	ctx := t.Context()
	shared, err := s.App.Store().Grant(ctx, "alice", s.image, accounting.Policy{AllowView: true})
	if err != nil {
		t.Fatal(err)
	}
	alice := s.Login("alice", "password-alice")
	path := startSession(t, alice, shared)
	urlID := strings.Split(path, "/")[4]
	portal := appliancetest.ReadBody(alice.Do("GET", "/", nil, nil))
	if !strings.Contains(portal, `action="/share"`) {
		t.Fatalf("no share form on the portal:\n%s", portal)
	}
	for _, bad := range []url.Values{{"user": {"nobody"}}, {"user": {"alice"}}, {"user": {"bob"}, "hours": {"-1"}}} {
		bad.Set("url_id", urlID)
		bad.Set("mode", "view")
		resp := alice.PostForm("/share", bad)
		body := appliancetest.ReadBody(resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "flash error") {
			t.Errorf("share %v: %d", bad, resp.StatusCode)
		}
	}
	resp := alice.PostForm("/share", url.Values{"url_id": {urlID}, "user": {"Bob"}, "mode": {"view"}, "hours": {"2"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("share: %d", resp.StatusCode)
	}
	if p := appliancetest.ReadBody(alice.Do("GET", "/", nil, nil)); !strings.Contains(p, "bob · view only · until ") {
		t.Errorf("the owner's portal does not list the share")
	}
	bob := s.Login("bob", "password-bob")
	p := appliancetest.ReadBody(bob.Do("GET", "/", nil, nil))
	if !strings.Contains(p, "Shared with you") || !strings.Contains(p, "alice's session · view only") || !strings.Contains(p, `href="/sessions/`+urlID+`"`) {
		t.Errorf("bob's portal:\n%s", p)
	}
	if resp := bob.Do("GET", path, nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("bob opening the shared session: %d", resp.StatusCode)
	}
	// Bob cannot end alice's share; alice can.
	resp = bob.PostForm("/unshare", url.Values{"url_id": {urlID}, "user": {"bob"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("bob unsharing: %d", resp.StatusCode)
	}
	resp = alice.PostForm("/unshare", url.Values{"url_id": {urlID}, "user": {"bob"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("alice unsharing: %d", resp.StatusCode)
	}
	if resp := bob.Do("GET", path, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("bob after unsharing: %d", resp.StatusCode)
	}
}
