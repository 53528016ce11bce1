package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/config"
)

// closeDeadline is how soon a WebSocket must close after what should close
// it.
const closeDeadline = 3 * time.Second

// openWS opens the test app's echo WebSocket of the session at path (a
// session's base path), with a browser's cookies or an API token, and
// checks that it echoes.
func openWS(t *testing.T, s *setup, path string, b *appliancetest.Browser, token string) *websocket.Conn {
	t.Helper()
	c, err := dialWS(t, s, path, b, token)
	if err != nil {
		t.Fatalf("opening a WebSocket on %s: %v", path, err)
	}
	if err := echoes(t, c); err != nil {
		t.Fatalf("the WebSocket on %s does not echo: %v", path, err)
	}
	return c
}

func dialWS(t *testing.T, s *setup, path string, b *appliancetest.Browser, token string) (*websocket.Conn, error) {
	t.Helper()
	hc := s.Client()
	hdr := http.Header{}
	if b != nil {
		hc.Jar = b.Jar
		hdr.Set("Origin", s.URL)
	}
	if token != "" {
		hdr.Set("Authorization", "Bearer "+token)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "wss"+strings.TrimPrefix(s.URL, "https")+path+"ws", &websocket.DialOptions{HTTPClient: hc, HTTPHeader: hdr})
	if err == nil {
		t.Cleanup(func() { c.CloseNow() })
	}
	return c, err
}

// echoes sends a message and reads it back.
func echoes(t *testing.T, c *websocket.Conn) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte("ping")); err != nil {
		return err
	}
	_, got, err := c.Read(ctx)
	if err == nil && string(got) != "ping" {
		err = errors.New("echoed " + string(got))
	}
	return err
}

// closedWithin waits until the server closes c, failing the test if it is
// still open after d, and returns the close frame it got.
func closedWithin(t *testing.T, what string, c *websocket.Conn, d time.Duration) websocket.CloseError {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			t.Fatalf("%s: the WebSocket is still open %v later", what, d)
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("%s: the WebSocket broke without a close frame: %v", what, err)
		}
		return ce
	}
}

func wantClose(t *testing.T, what string, got websocket.CloseError, code websocket.StatusCode, reason string) {
	t.Helper()
	if got.Code != code || !strings.Contains(got.Reason, reason) {
		t.Errorf("%s: closed with %d %q, want %d and %q", what, got.Code, got.Reason, code, reason)
	}
}

// TestSignOutClosesWebSockets: signing a browser out closes the owner's
// WebSockets opened from that browser (not those of another browser of
// the same user), and deleting an API token closes those opened with it.
func TestSignOutClosesWebSockets(t *testing.T) {
	s := newSetup(t)
	first := s.Login("alice", "password-alice")
	second := s.Login("alice", "password-alice")
	path := s.start(t, first, s.aliceID)
	fromSecond := openWS(t, s, path, second, "")

	t.Run("sign-out", func(t *testing.T) {
		fromFirst := openWS(t, s, path, first, "")
		api := tokenFor(t, s.Server, "alice", "password-alice")
		withToken := openWS(t, s, path, nil, api.token)
		resp := first.PostForm("/logout", url.Values{})
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("signing out: %d", resp.StatusCode)
		}
		wantClose(t, "after signing out", closedWithin(t, "after signing out", fromFirst, closeDeadline), websocket.StatusPolicyViolation, "signed out")
		if err := echoes(t, fromSecond); err != nil {
			t.Errorf("the other browser's WebSocket: %v", err)
		}
		if err := echoes(t, withToken); err != nil {
			t.Errorf("the token's WebSocket: %v", err)
		}
	})

	t.Run("token deletion", func(t *testing.T) {
		api := tokenFor(t, s.Server, "alice", "password-alice")
		withToken := openWS(t, s, path, nil, api.token)
		api.json("DELETE", "/api/v1/tokens/"+api.tokenID(), nil, 204, nil)
		wantClose(t, "after deleting the token", closedWithin(t, "after deleting the token", withToken, closeDeadline), websocket.StatusPolicyViolation, "token was deleted")
		if err := echoes(t, fromSecond); err != nil {
			t.Errorf("the other browser's WebSocket after deleting the token: %v", err)
		}
	})

	// Stopping the session closes the rest (its application goes, too).
	t.Run("session stop", func(t *testing.T) {
		urlID := strings.Split(path, "/")[4]
		if err := s.App.Sessions().StopAny(t.Context(), urlID, "alice"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
		defer cancel()
		for {
			if _, _, err := fromSecond.Read(ctx); err != nil {
				if ctx.Err() != nil {
					t.Fatal("the WebSocket is still open 15 s after stopping its session")
				}
				break
			}
		}
	})
}

// TestAccountChangesCloseWebSockets: a new password (from the admin API)
// and `db user disable` (through the admin socket) close every WebSocket
// of the user, and no other user's.
func TestAccountChangesCloseWebSockets(t *testing.T) {
	s := newSetup(t)
	bob := s.Login("bob", "password-bob")
	alicePath := s.start(t, s.Login("alice", "password-alice"), s.aliceID)
	bobPath := s.start(t, bob, s.bobID)
	bobs := openWS(t, s, bobPath, bob, "")

	t.Run("new password", func(t *testing.T) {
		alice := s.Login("alice", "password-alice")
		api := tokenFor(t, s.Server, "alice", "password-alice")
		fromBrowser := openWS(t, s, alicePath, alice, "")
		withToken := openWS(t, s, alicePath, nil, api.token)
		admin := tokenFor(t, s.Server, "admin", s.AdminPassword)
		admin.json("PATCH", "/api/v1/admin/users/alice", map[string]any{"password": "a-new-password-1"}, 200, nil)
		for what, c := range map[string]*websocket.Conn{"browser": fromBrowser, "token": withToken} {
			what = "after a new password, the " + what + "'s"
			wantClose(t, what, closedWithin(t, what, c, closeDeadline), websocket.StatusPolicyViolation, "signed out everywhere")
		}
		if err := echoes(t, bobs); err != nil {
			t.Errorf("bob's WebSocket after alice's new password: %v", err)
		}
	})

	t.Run("db user disable", func(t *testing.T) {
		admin := tokenFor(t, s.Server, "admin", s.AdminPassword)
		admin.json("PATCH", "/api/v1/admin/users/alice", map[string]any{"password": "a-new-password-2"}, 200, nil)
		alice := s.Login("alice", "a-new-password-2")
		c := openWS(t, s, alicePath, alice, "")
		if out, errOut, err := run(t, s.Server, "", "db", "user", "disable", "alice"); err != nil {
			t.Fatalf("db user disable alice: %v\n%s%s", err, out, errOut)
		}
		wantClose(t, "after db user disable", closedWithin(t, "after db user disable", c, closeDeadline), websocket.StatusPolicyViolation, "signed out everywhere")
		if err := echoes(t, bobs); err != nil {
			t.Errorf("bob's WebSocket after disabling alice: %v", err)
		}
	})
}

// TestWebSocketCaps: one more WebSocket than a user may hold is accepted
// and closed at once with 1008 and the reason, without touching another
// user's; one more than everybody may hold gets 1013; a closed one frees
// its place; /metrics counts them.
func TestWebSocketCaps(t *testing.T) {
	s := newSetup(t, appliancetest.WithConfig(func(c *config.Config) {
		c.WebSockets = config.WebSockets{PerUser: 2, Total: 3}
	}))
	alice := s.Login("alice", "password-alice")
	bob := s.Login("bob", "password-bob")
	alicePath := s.start(t, alice, s.aliceID)
	bobPath := s.start(t, bob, s.bobID)

	first := openWS(t, s, alicePath, alice, "")
	openWS(t, s, alicePath, alice, "")
	refused, err := dialWS(t, s, alicePath, alice, "")
	if err != nil {
		t.Fatalf("the handshake of the WebSocket over the cap: %v (want it accepted, then closed with a reason)", err)
	}
	wantClose(t, "over the per-user cap", closedWithin(t, "over the per-user cap", refused, closeDeadline), websocket.StatusPolicyViolation, "at most 2 per user")

	bobs := openWS(t, s, bobPath, bob, "")
	overTotal, err := dialWS(t, s, bobPath, bob, "")
	if err != nil {
		t.Fatalf("the handshake of the WebSocket over the total cap: %v", err)
	}
	wantClose(t, "over the total cap", closedWithin(t, "over the total cap", overTotal, closeDeadline), websocket.StatusTryAgainLater, "at most 3")
	if err := echoes(t, bobs); err != nil {
		t.Errorf("bob's WebSocket after the refusals: %v", err)
	}

	admin := s.Login("admin", s.AdminPassword)
	metrics := appliancetest.ReadBody(admin.Do("GET", "/metrics", nil, nil))
	for _, want := range []string{
		`simphony_remote_websockets_open{kind="owner"} 3`,
		`simphony_remote_websockets_open{kind="shared"} 0`,
		`simphony_remote_websockets_refused_total{reason="per_user"} 1`,
		`simphony_remote_websockets_refused_total{reason="total"} 1`,
		`simphony_remote_websockets_limit{cap="per_user"} 2`,
		`simphony_remote_websockets_limit{cap="total"} 3`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// Closing one frees its place (once the proxy has seen it end).
	first.Close(websocket.StatusNormalClosure, "")
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := dialWS(t, s, alicePath, alice, "")
		if err == nil && echoes(t, c) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alice cannot open a WebSocket after closing one: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestWebSocketsInChromium: a browser's page gets the close code and reason
// of a WebSocket over the cap (the handshake is accepted, then closed),
// and of one closed because the browser signed out.
func TestWebSocketsInChromium(t *testing.T) {
	requireChromium(t)
	s := newSetup(t, appliancetest.WithConfig(func(c *config.Config) {
		c.WebSockets = config.WebSockets{PerUser: 1, Total: 10}
	}))
	path := s.start(t, s.Login("alice", "password-alice"), s.aliceID)
	ctx := newChromium(t, s.Server)
	signIn(t, ctx, s.URL, "alice", "password-alice")
	step(t, ctx, "opening the session", chromedp.Navigate(s.URL+path))
	// open resolves with "open" once the WebSocket echoes, or with its
	// close code and reason.
	const open = `(name) => new Promise(resolve => {
		const ws = new WebSocket(location.origin.replace("https", "wss") + location.pathname + "ws");
		window[name] = ws;
		ws.onopen = () => ws.send("ping");
		ws.onmessage = () => resolve("open");
		ws.onclose = e => resolve(e.code + " " + e.reason);
		setTimeout(() => resolve("no answer"), 10000);
	})`
	if got := get(t, ctx, chromedp.Evaluate[string](`(`+open+`)("first")`, chromedp.EvalAwaitPromise)); got != "open" {
		t.Fatalf("the first WebSocket: %s", got)
	}
	got := get(t, ctx, chromedp.Evaluate[string](`(`+open+`)("second")`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(got, "1008 too many WebSockets: at most 1 per user") {
		t.Errorf("the WebSocket over the cap, as the page sees it: %q", got)
	}
	// Chromium here fails a fetch ("Failed to fetch", ERR_NETWORK_CHANGED)
	// when another test starts a container, so each fetch is tried three
	// times; a refusal by the appliance is an answer, not a failure.
	got = get(t, ctx, chromedp.Evaluate[string](`(async () => {
		const retried = async (url, options) => {
			for (let attempt = 1; ; attempt++) {
				try { return await fetch(url, options); } catch (e) {
					if (attempt === 3) throw e;
					await new Promise(resolve => setTimeout(resolve, 300));
				}
			}
		};
		const closed = new Promise(resolve => { window.first.onclose = e => resolve(e.code + " " + e.reason); });
		const portal = await (await retried("/")).text();
		const csrf = portal.match(/name="csrf_token" value="([^"]+)"/)[1];
		await retried("/logout", {method: "POST", body: new URLSearchParams({csrf_token: csrf}), redirect: "manual"});
		return Promise.race([closed, new Promise(resolve => setTimeout(() => resolve("still open"), 3000))]);
	})()`, chromedp.EvalAwaitPromise))
	if got != "1008 signed out" {
		t.Errorf("the page's WebSocket after signing out: %q", got)
	}
}

// TestSharedWebSockets: a shared user's WebSockets (carried by the relay)
// count against the same caps and close when that user signs out.
func TestSharedWebSockets(t *testing.T) {
	s := newSetup(t, appliancetest.WithConfig(func(c *config.Config) {
		c.WebSockets = config.WebSockets{PerUser: 1, Total: 10}
	}))
	mapping, err := s.App.Store().Grant(t.Context(), "alice", s.image, accounting.Policy{AllowView: true})
	if err != nil {
		t.Fatal(err)
	}
	alice := tokenFor(t, s.Server, "alice", "password-alice")
	var started wire.Container
	alice.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: mapping}, 201, &started)
	alice.json("POST", "/api/v1/containers/"+started.URLID+"/shares", wire.ShareRequest{User: "bob", Mode: "control"}, 201, nil)

	bob := s.Login("bob", "password-bob")
	c := openWS(t, s, started.URLPath, bob, "")
	refused, err := dialWS(t, s, started.URLPath, bob, "")
	if err != nil {
		t.Fatalf("the handshake of a shared WebSocket over the cap: %v", err)
	}
	wantClose(t, "a shared WebSocket over the cap", closedWithin(t, "a shared WebSocket over the cap", refused, closeDeadline), websocket.StatusPolicyViolation, "at most 1 per user")
	admin := s.Login("admin", s.AdminPassword)
	if metrics := appliancetest.ReadBody(admin.Do("GET", "/metrics", nil, nil)); !strings.Contains(metrics, `simphony_remote_websockets_open{kind="shared"} 1`) {
		t.Errorf("/metrics does not count the shared WebSocket")
	}

	resp := bob.PostForm("/logout", url.Values{})
	resp.Body.Close()
	wantClose(t, "a shared WebSocket after its user signed out", closedWithin(t, "a shared WebSocket after its user signed out", c, closeDeadline), websocket.StatusPolicyViolation, "signed out")
}
