package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/auth"
)

const (
	sessionA = "0123456789abcdef0123456789abcdef"
	sessionB = "fedcba9876543210fedcba9876543210"
)

// originsFixture is a signed-in alice with the hand-off between the
// portal and the sessions' origins.
type originsFixture struct {
	c       *clock
	store   accounting.Store
	logins  *auth.Logins
	origins *auth.Origins
	secret  string // alice's portal login
	id      auth.Identity
}

func newOriginsFixture(t *testing.T) *originsFixture {
	t.Helper()
	ctx := t.Context()
	c := newClock()
	store, _ := openStore(t)
	t.Cleanup(func() { store.Close() })
	if err := store.CreateUser(ctx, accounting.User{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	logins, err := auth.NewLogins(ctx, store, time.Hour, 24*time.Hour, c.now)
	if err != nil {
		t.Fatal(err)
	}
	res := &auth.Resolver{Logins: logins, Users: store, IsAdmin: func(accounting.User) bool { return false }}
	secret, _, err := logins.Create(ctx, "alice", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "https://appliance.test/", nil)
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: secret})
	id, ok := res.Identify(req)
	if !ok {
		t.Fatal("alice is not signed in")
	}
	return &originsFixture{c: c, store: store, logins: logins, origins: auth.NewOrigins(res, c.now), secret: secret, id: id}
}

func (f *originsFixture) ticket(t *testing.T, urlID string) string {
	t.Helper()
	tk, err := f.origins.Ticket(f.id, urlID)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// onOrigin is a request on a session's origin with the origin's cookie.
func onOrigin(c *http.Cookie) *http.Request {
	req := httptest.NewRequest("GET", "https://"+sessionA+".appliance.test/", nil)
	if c != nil {
		req.AddCookie(c)
	}
	return req
}

func TestOriginTickets(t *testing.T) {
	ctx := t.Context()
	t.Run("a ticket works once, on its own session's origin", func(t *testing.T) {
		f := newOriginsFixture(t)
		tk := f.ticket(t, sessionA)
		if _, _, ok := f.origins.Redeem(ctx, tk, sessionB); ok {
			t.Error("a ticket for session A was redeemed on session B's origin")
		}
		// The wrong origin spent it: a ticket is tried once.
		if _, _, ok := f.origins.Redeem(ctx, tk, sessionA); ok {
			t.Error("a ticket was redeemed after a failed try")
		}
		tk = f.ticket(t, sessionA)
		c, id, ok := f.origins.Redeem(ctx, tk, sessionA)
		if !ok || id.User != "alice" {
			t.Fatalf("redeeming a fresh ticket: %v, %+v", ok, id)
		}
		if c.Name != auth.OriginCookieName || !c.HttpOnly || !c.Secure || c.Path != "/" || c.Domain != "" || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("the origin's cookie %+v is not a host-only, secure, HttpOnly, lax __Host- cookie", c)
		}
		if strings.Contains(c.Value, f.secret) {
			t.Error("the origin's cookie carries the portal's secret")
		}
		if _, _, ok := f.origins.Redeem(ctx, tk, sessionA); ok {
			t.Error("a ticket was redeemed twice")
		}
	})
	t.Run("a ticket expires", func(t *testing.T) {
		f := newOriginsFixture(t)
		tk := f.ticket(t, sessionA)
		f.c.add(auth.TicketTTL + time.Second)
		if _, _, ok := f.origins.Redeem(ctx, tk, sessionA); ok {
			t.Error("an expired ticket was redeemed")
		}
	})
	t.Run("made-up tickets", func(t *testing.T) {
		f := newOriginsFixture(t)
		f.ticket(t, sessionA)
		for _, tk := range []string{"", "x", f.secret, f.id.Login.IDHash} {
			if _, _, ok := f.origins.Redeem(ctx, tk, sessionA); ok {
				t.Errorf("the ticket %q was redeemed", tk)
			}
		}
	})
	t.Run("only a browser's login gets a ticket", func(t *testing.T) {
		f := newOriginsFixture(t)
		if _, err := f.origins.Ticket(auth.Identity{User: "alice", Via: auth.ViaToken}, sessionA); err == nil {
			t.Error("an API token got a ticket")
		}
	})
	t.Run("one login cannot fill the tickets of everybody", func(t *testing.T) {
		f := newOriginsFixture(t)
		first := f.ticket(t, sessionA)
		var last []string
		for range 10_000 { // one browser asks without redeeming
			last = append(last, f.ticket(t, sessionA))
		}
		if _, _, ok := f.origins.Redeem(ctx, first, sessionA); ok {
			t.Error("the oldest ticket of a login that asked for 10,000 more was redeemed")
		}
		for _, tk := range last[len(last)-16:] {
			if _, _, ok := f.origins.Redeem(ctx, tk, sessionA); !ok {
				t.Error("one of the login's 16 latest tickets was not redeemed")
			}
		}
		_, l, err := f.logins.Create(ctx, "alice", "127.0.0.2")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.origins.Ticket(auth.Identity{User: "alice", Via: auth.ViaCookie, Login: l}, sessionA); err != nil {
			t.Errorf("another login, after one asked for 10,000 tickets: %v", err)
		}
	})
	t.Run("a ticket dies with its login", func(t *testing.T) {
		f := newOriginsFixture(t)
		tk := f.ticket(t, sessionA)
		if err := f.logins.Revoke(ctx, f.secret); err != nil {
			t.Fatal(err)
		}
		if _, _, ok := f.origins.Redeem(ctx, tk, sessionA); ok {
			t.Error("a ticket of a signed-out login was redeemed")
		}
	})
}

func TestOriginCookie(t *testing.T) {
	ctx := t.Context()
	enter := func(t *testing.T, f *originsFixture) *http.Cookie {
		t.Helper()
		c, _, ok := f.origins.Redeem(ctx, f.ticket(t, sessionA), sessionA)
		if !ok {
			t.Fatal("redeeming a ticket failed")
		}
		return c
	}
	t.Run("valid on its session's origin only", func(t *testing.T) {
		f := newOriginsFixture(t)
		c := enter(t, f)
		if id, ok := f.origins.Identify(onOrigin(c), sessionA); !ok || id.User != "alice" || id.Via != auth.ViaCookie {
			t.Fatalf("the cookie on its origin: %+v, %v", id, ok)
		}
		if _, ok := f.origins.Identify(onOrigin(c), sessionB); ok {
			t.Error("session A's cookie signs in on session B's origin")
		}
		if _, ok := f.origins.Identify(onOrigin(nil), sessionA); ok {
			t.Error("no cookie signs in")
		}
		for _, forged := range []string{f.id.Login.IDHash, f.id.Login.IDHash + ".x", f.secret, strings.Replace(c.Value, ".", ".A", 1)} {
			if _, ok := f.origins.Identify(onOrigin(&http.Cookie{Name: auth.OriginCookieName, Value: forged}), sessionA); ok {
				t.Errorf("the forged cookie %q signs in", forged)
			}
		}
		// The portal's cookie is not the origin's.
		if _, ok := f.origins.Identify(onOrigin(&http.Cookie{Name: auth.CookieName, Value: f.secret}), sessionA); ok {
			t.Error("the portal's cookie signs in on a session's origin")
		}
	})
	t.Run("dies at sign-out", func(t *testing.T) {
		f := newOriginsFixture(t)
		c := enter(t, f)
		if err := f.logins.Revoke(ctx, f.secret); err != nil {
			t.Fatal(err)
		}
		if _, ok := f.origins.Identify(onOrigin(c), sessionA); ok {
			t.Error("the origin's cookie outlives the sign-out")
		}
	})
	t.Run("dies when the user is disabled", func(t *testing.T) {
		f := newOriginsFixture(t)
		c := enter(t, f)
		if err := f.store.SetDisabled(ctx, "alice", true); err != nil {
			t.Fatal(err)
		}
		if _, ok := f.origins.Identify(onOrigin(c), sessionA); ok {
			t.Error("the origin's cookie works for a disabled user")
		}
	})
	t.Run("dies when the login expires, and keeps it alive while used", func(t *testing.T) {
		f := newOriginsFixture(t)
		c := enter(t, f)
		f.c.add(50 * time.Minute)
		if _, ok := f.origins.Identify(onOrigin(c), sessionA); !ok {
			t.Fatal("the cookie failed within the login's idle time")
		}
		f.c.add(50 * time.Minute) // 100 min since sign-in, 50 since the session's last request
		if _, ok := f.origins.Identify(onOrigin(c), sessionA); !ok {
			t.Fatal("using the session did not keep the login alive")
		}
		f.c.add(2 * time.Hour)
		if _, ok := f.origins.Identify(onOrigin(c), sessionA); ok {
			t.Error("the cookie outlives its login's idle time")
		}
	})
	t.Run("another appliance's cookie", func(t *testing.T) {
		f, other := newOriginsFixture(t), newOriginsFixture(t)
		c := enter(t, other)
		if _, ok := f.origins.Identify(onOrigin(c), sessionA); ok {
			t.Error("a cookie signed with another key signs in")
		}
	})
}

// TestFramedCookie: the partitioned twin of the origin's cookie, set when
// the session's origin is entered in the portal's frame, signs in the
// frame's navigations and the session's own requests, and nothing else.
func TestFramedCookie(t *testing.T) {
	f := newOriginsFixture(t)
	c, _, ok := f.origins.Redeem(t.Context(), f.ticket(t, sessionA), sessionA)
	if !ok {
		t.Fatal("redeeming a ticket failed")
	}
	framed := auth.Framed(c)
	if framed.Name != auth.FramedCookieName || framed.Value != c.Value || !framed.Partitioned || framed.SameSite != http.SameSiteNoneMode ||
		!framed.Secure || !framed.HttpOnly || framed.Path != "/" || framed.Domain != "" {
		t.Fatalf("the framed cookie: %+v", framed)
	}
	if c.Partitioned || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("the origin's own cookie changed: %+v", c)
	}
	origin := "https://" + sessionA + ".appliance.test"
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   bool
	}{
		{"the frame's navigation", map[string]string{"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "cross-site"}, true},
		{"a script of the session's page", map[string]string{"Sec-Fetch-Dest": "script", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin"}, true},
		{"the session's WebSocket (no Sec-Fetch-*)", map[string]string{"Origin": origin, "Upgrade": "websocket"}, true},
		{"an image on another page of the portal's site", map[string]string{"Sec-Fetch-Dest": "image", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "cross-site"}, false},
		{"a fetch from another session", map[string]string{"Sec-Fetch-Dest": "empty", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-site", "Origin": "https://" + sessionB + ".appliance.test"}, false},
		{"a top-level navigation", map[string]string{"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "cross-site"}, false},
		{"a WebSocket from another origin", map[string]string{"Origin": "https://evil.example", "Upgrade": "websocket"}, false},
		{"nothing said", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := onOrigin(framed)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if id, ok := f.origins.Identify(req, sessionA); ok != tc.want || (ok && id.User != "alice") {
				t.Errorf("signed in: %v as %q, want %v", ok, id.User, tc.want)
			}
			// The Lax cookie works whatever the request says.
			req = onOrigin(c)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if _, ok := f.origins.Identify(req, sessionA); !ok {
				t.Error("the origin's own cookie does not sign in")
			}
		})
	}
	other := onOrigin(framed)
	other.Header.Set("Sec-Fetch-Dest", "iframe")
	other.Header.Set("Sec-Fetch-Mode", "navigate")
	if _, ok := f.origins.Identify(other, sessionB); ok {
		t.Error("session A's framed cookie signs in on session B's origin")
	}
}
