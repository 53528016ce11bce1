package e2e

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/protocol"
)

// hostileHeaders are what a client sends to pass as somebody else, to
// make the application believe it was reached another way, or to carry
// the appliance's credentials to it. None of them may reach the session.
func hostileHeaders(csrf string) http.Header {
	return http.Header{
		"Forwarded":              {"for=203.0.113.9;host=evil.example;proto=http"},
		"X-Real-Ip":              {"203.0.113.9"},
		"X-Forwarded-For":        {"203.0.113.9"},
		"X-Forwarded-Host":       {"evil.example"},
		"X-Forwarded-Proto":      {"http"},
		"X-Forwarded-Port":       {"80"},
		"X-Forwarded-Prefix":     {"/evil"},
		"X-Forwarded-Server":     {"evil.example"},
		"X-Forwarded-Ssl":        {"off"},
		"X-Forwarded-User":       {"root"},
		"X_forwarded_for":        {"203.0.113.9"},
		"X-Original-Url":         {"/admin"},
		"X-Rewrite-Url":          {"/admin"},
		"X-Client-Ip":            {"203.0.113.9"},
		"True-Client-Ip":         {"203.0.113.9"},
		"Cf-Connecting-Ip":       {"203.0.113.9"},
		"Via":                    {"1.1 evil.example"},
		"Remote-User":            {"root"},
		"X-Remote-User":          {"root"},
		"X_remote_user":          {"root"},
		"X-Auth-Request-User":    {"root"},
		"X-Http-Method-Override": {"DELETE"},
		"X-Csrf-Token":           {csrf},
		"X-Simphony-Session-Key": {"forged"},
	}
}

// appHeaders are the client's own headers for the application: they pass.
var appHeaders = http.Header{
	"Accept":          {"application/json"},
	"Accept-Encoding": {"identity"},
	"User-Agent":      {"headers-test"},
	"Authorization":   {"token the-application-s-own"},
	"X-App-Header":    {"kept"},
}

// TestHeadersReachingTheSession sends every header a client could use to
// lie to the application, or to leak the appliance's credentials to it,
// over each way a request reaches a session (proxied HTTP, the owner's
// WebSocket through reverse_proxy, a shared user's WebSocket through the
// relay): the test application reports exactly the headers README's
// "Headers between the browser and the session" lists.
func TestHeadersReachingTheSession(t *testing.T) {
	s := newSetup(t)
	shared, err := s.App.Store().Grant(t.Context(), "alice", s.image, accounting.Policy{AllowView: true})
	if err != nil {
		t.Fatal(err)
	}
	alice := s.Login("alice", "password-alice")
	path := startSession(t, alice, shared)
	urlID := strings.Split(path, "/")[4]
	host := strings.TrimPrefix(s.URL, "https://")
	// What the appliance itself sets, whatever the client sent.
	appliance := map[string][]string{
		"X-Remote-User":     {"alice"},
		"X-Forwarded-For":   {"127.0.0.1"},
		"X-Forwarded-Proto": {"https"},
		"X-Forwarded-Host":  {host},
	}

	t.Run("proxied HTTP", func(t *testing.T) {
		hdr := hostileHeaders(alice.CSRF)
		for k, v := range appHeaders {
			hdr[k] = v
		}
		hdr["Cookie"] = []string{"app_pref=dark"}
		resp := alice.Do("GET", path, nil, hdr)
		var rep report
		if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("proxied GET: %d, %v", resp.StatusCode, err)
		}
		resp.Body.Close()
		// The session's key, which the appliance sends to prove a request
		// comes through it (starter images check and drop it; this test
		// application does not).
		key := rep.Env[protocol.EnvSessionKey]
		if len(key) < 32 {
			t.Fatalf("the session's key in the container's environment is %q", key)
		}
		appliance[protocol.HeaderSessionKey] = []string{key}
		want := map[string][]string{"Via": {"1.1 Caddy"}, "Cookie": {"app_pref=dark"}}
		for k, v := range appHeaders {
			want[k] = v
		}
		for k, v := range appliance {
			want[k] = v
		}
		sameHeaders(t, rep.Headers, want)
	})

	// The WebSocket handshake headers, as the dialling client sends them
	// (the key differs from one handshake to the next).
	handshake := []string{"Connection", "Upgrade", "Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Protocol"}
	wsReport := func(t *testing.T, b *appliancetest.Browser, user string) map[string][]string {
		t.Helper()
		hdr := hostileHeaders(b.CSRF)
		hdr.Set("Origin", s.URL)
		hdr.Set("User-Agent", "headers-test")
		hdr.Set("X-App-Header", "kept")
		hc := s.Client()
		hc.Jar = b.Jar
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, "wss://"+host+path+"ws-report", &websocket.DialOptions{
			HTTPClient: hc, HTTPHeader: hdr, Subprotocols: []string{"report"},
		})
		if err != nil {
			t.Fatalf("%s's WebSocket: %v", user, err)
		}
		defer c.CloseNow()
		_, msg, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("reading the report: %v", err)
		}
		var got map[string][]string
		if err := json.Unmarshal(msg, &got); err != nil {
			t.Fatalf("the report %q: %v", msg, err)
		}
		for _, k := range handshake {
			if len(got[k]) == 0 {
				t.Errorf("the handshake's %s did not reach the application", k)
			}
			delete(got, k)
		}
		return got
	}

	t.Run("owner's WebSocket", func(t *testing.T) {
		got := wsReport(t, alice, "alice")
		// Accept-Encoding is the dialling client's own.
		want := map[string][]string{"Via": {"1.1 Caddy"}, "Origin": {s.URL}, "User-Agent": {"headers-test"}, "X-App-Header": {"kept"}, "Accept-Encoding": {"gzip"}}
		for k, v := range appliance {
			want[k] = v
		}
		sameHeaders(t, got, want)
	})

	t.Run("shared user's WebSocket", func(t *testing.T) {
		resp := alice.PostForm("/share", url.Values{"url_id": {urlID}, "user": {"bob"}, "mode": {"view"}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("share: %d", resp.StatusCode)
		}
		got := wsReport(t, s.Login("bob", "password-bob"), "bob")
		// The relay passes only the Origin and the User-Agent (and the
		// application's cookies, none here) of what the client sent.
		want := map[string][]string{"Origin": {s.URL}, "User-Agent": {"headers-test"}}
		for k, v := range appliance {
			want[k] = v
		}
		want["X-Remote-User"] = []string{"bob"}
		sameHeaders(t, got, want)
	})
}

// sameHeaders checks that the application received exactly want.
func sameHeaders(t *testing.T, got, want map[string][]string) {
	t.Helper()
	for k, v := range got {
		if w, ok := want[k]; !ok {
			t.Errorf("the application received %s: %q, which it must not", k, v)
		} else if !slices.Equal(v, w) {
			t.Errorf("the application received %s: %q, want %q", k, v, w)
		}
	}
	for k, v := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("the application did not receive %s: %q", k, v)
		}
	}
}

// TestHSTS: every HTTPS answer for a name tells browsers to use HTTPS only
// (the appliance's pages, its API, a session's answers, even when the
// application says otherwise); localhost and IP addresses get none, and
// the appliance's pages keep their CSP.
func TestHSTS(t *testing.T) {
	const name = "simphony.test"
	s := newSetup(t, appliancetest.WithConfig(func(c *config.Config) {
		c.TLS.Hostnames = []string{name, "localhost", "127.0.0.1"}
		// Sessions under the portal's origin, so that one client reaches
		// them on every host name (TestHostileSessionCannotActAsViewer
		// covers a session's own origin).
		c.Sessions.Origins = config.OriginsPath
	}))
	alice := s.Login("alice", "password-alice")
	path := startSession(t, alice, s.aliceID)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "https://"))
	const want = "max-age=31536000; includeSubDomains"

	// Every host name reaches the appliance on 127.0.0.1.
	hc := s.Client()
	hc.Jar = alice.Jar
	hc.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+port)
	}
	for _, host := range []string{name, "localhost", "127.0.0.1"} {
		origin := "https://" + net.JoinHostPort(host, port)
		// alice's cookie, for whichever host the request names.
		cookies := alice.Jar.Cookies(mustURL(t, s.URL))
		for _, p := range []string{"/", "/api/v1/me", path, path + "?respond-header=Strict-Transport-Security:max-age=0"} {
			req, err := http.NewRequest("GET", origin+p, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cookies {
				req.AddCookie(c)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatalf("GET %s: %v", origin+p, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %d", origin+p, resp.StatusCode)
			}
			got := resp.Header.Values("Strict-Transport-Security")
			switch {
			case host == name && !slices.Equal(got, []string{want}):
				t.Errorf("GET %s: Strict-Transport-Security %q, want %q", origin+p, got, want)
			case host != name && len(got) > 0:
				t.Errorf("GET %s: Strict-Transport-Security %q, want none on localhost and IP addresses", origin+p, got)
			}
			if p == "/" && resp.Header.Get("Content-Security-Policy") == "" {
				t.Errorf("GET %s: no Content-Security-Policy", origin+p)
			}
		}
	}
}

// TestSignInNextStaysOnTheAppliance: a sign-in link's next never sends
// the browser to another host, before signing in or after, however it is
// written: the redirect's Location, read as a browser reads it (a
// backslash as a slash), is a path on the appliance.
func TestSignInNextStaysOnTheAppliance(t *testing.T) {
	s := newSetup(t)
	for _, next := range []string{
		"//evil.example/", "/\\evil.example", "https://evil.example/", "/./\\evil.example",
		"/a/../..\\evil.example", "/x/..//\\evil.example", "/#/../\\evil.example",
	} {
		b := s.NewBrowser()
		resp := b.PostForm("/login", url.Values{"username": {"alice"}, "password": {"password-alice"}, "next": {next}})
		resp.Body.Close()
		after := resp.Header.Get("Location")
		// Signed in already: the sign-in page sends on at once.
		resp = b.Do("GET", "/login?next="+url.QueryEscape(next), nil, nil)
		resp.Body.Close()
		before := resp.Header.Get("Location")
		for _, loc := range []string{after, before} {
			read := strings.ReplaceAll(loc, `\`, "/")
			if !strings.HasPrefix(read, "/") || strings.HasPrefix(read, "//") {
				t.Errorf("next %q: the browser is sent to %q", next, loc)
			}
		}
	}
}
