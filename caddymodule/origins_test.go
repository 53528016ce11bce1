package caddymodule

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/routes"
)

const otherID = "fedcba9876543210fedcba9876543210"

// originBackend adds tickets to fakeBackend: a ticket is its url id
// prefixed with "ticket-", good once. (engine/auth's tests prove the real
// tickets single-use, short-lived and bound to their session.)
type originBackend struct {
	*fakeBackend
	originUser string // who a request on a session's origin is from
	tickets    map[string]string
}

func (b *originBackend) Ticket(id auth.Identity, urlID string) (string, error) {
	if id.Via != auth.ViaCookie {
		return "", errors.New("browsers only")
	}
	t := "ticket-" + urlID
	b.tickets[t] = urlID
	return t, nil
}

func (b *originBackend) Enter(_ context.Context, ticket, urlID string) (*http.Cookie, bool) {
	got, ok := b.tickets[ticket]
	delete(b.tickets, ticket)
	if !ok || got != urlID {
		return nil, false
	}
	return &http.Cookie{Name: auth.OriginCookieName, Value: "for-" + urlID, Path: "/", Secure: true, HttpOnly: true}, true
}

func (b *originBackend) IdentifyOrigin(*http.Request, string) (auth.Identity, bool) {
	return auth.Identity{User: b.originUser, Via: auth.ViaCookie}, b.originUser != ""
}

func (b *originBackend) Identify(*http.Request) (auth.Identity, bool) {
	via := auth.ViaCookie
	if b.user == "tokenholder" {
		return auth.Identity{User: "alice", Via: auth.ViaToken}, true
	}
	return auth.Identity{User: b.user, Via: via}, b.user != ""
}

func TestSubdomainOrigins(t *testing.T) {
	base := "/user/alice/containers/" + urlID + "/"
	portal := "https://appliance.test:8443"
	origin := "https://" + urlID + ".appliance.test:8443"
	enter := func(ticket, next string) string {
		return origin + EnterPath + "?" + url.Values{"ticket": {ticket}, "next": {next}}.Encode()
	}
	html := http.Header{"Accept": {"text/html"}}
	tests := []struct {
		name         string
		user         string // on the portal
		originUser   string // on the session's origin
		tickets      map[string]string
		method       string
		url          string
		header       http.Header
		wantStatus   int
		wantLocation string
		wantCookie   bool
		wantProxied  bool
		wantRefused  string
		wantKept     bool // the ticket is still unspent
	}{
		// The portal's origin hands browsers over and never proxies.
		{name: "the owner on the portal's origin is handed over", user: "alice", url: portal + base + "x?y=1", header: html,
			wantStatus: http.StatusFound, wantLocation: enter("ticket-"+urlID, base+"x?y=1")},
		{name: "a viewer is handed over too", user: "viewer", url: portal + base, header: html,
			wantStatus: http.StatusFound, wantLocation: enter("ticket-"+urlID, base)},
		{name: "an API client goes straight to the session's origin", user: "tokenholder", url: portal + base + "api",
			wantStatus: http.StatusTemporaryRedirect, wantLocation: origin + base + "api"},
		{name: "a POST on the portal's origin is misdirected", user: "alice", method: "POST", url: portal + base + "upload",
			wantStatus: http.StatusForbidden},
		{name: "nobody on the portal's origin signs in first", url: portal + base, header: html,
			wantStatus: http.StatusFound, wantLocation: "/login?next=" + url.QueryEscape(base)},
		{name: "another user gets no ticket", user: "bob", url: portal + base, header: html,
			wantStatus: http.StatusNotFound, wantRefused: notFound},

		// The session's origin redeems tickets.
		{name: "a ticket signs in on its origin", tickets: map[string]string{"t1": urlID}, url: enter("t1", base+"x?y=1"),
			wantStatus: http.StatusSeeOther, wantLocation: base + "x?y=1", wantCookie: true},
		{name: "a ticket of another session", tickets: map[string]string{"t1": otherID}, url: enter("t1", base),
			wantStatus: http.StatusForbidden},
		{name: "no ticket", url: enter("", base), wantStatus: http.StatusForbidden},
		{name: "next in another session", tickets: map[string]string{"t1": urlID}, url: enter("t1", "/user/alice/containers/"+otherID+"/"),
			wantStatus: http.StatusBadRequest, wantKept: true},
		{name: "next on the portal", tickets: map[string]string{"t1": urlID}, url: enter("t1", "/api/v1/me"), wantStatus: http.StatusBadRequest, wantKept: true},
		{name: "next elsewhere", tickets: map[string]string{"t1": urlID}, url: enter("t1", "//evil.example"+base), wantStatus: http.StatusBadRequest, wantKept: true},
		{name: "next absolute", tickets: map[string]string{"t1": urlID}, url: enter("t1", "https://evil.example"+base), wantStatus: http.StatusBadRequest, wantKept: true},
		{name: "next climbing out", tickets: map[string]string{"t1": urlID}, url: enter("t1", base+"../../bob/containers/"+otherID+"/"), wantStatus: http.StatusBadRequest, wantKept: true},
		{name: "next with a backslash", tickets: map[string]string{"t1": urlID}, url: enter("t1", "/\\evil.example"+base), wantStatus: http.StatusBadRequest, wantKept: true},
		{name: "a HEAD to enter (a prefetch) leaves the ticket", method: "HEAD", tickets: map[string]string{"t1": urlID}, url: enter("t1", base),
			wantStatus: http.StatusMethodNotAllowed, wantKept: true},
		{name: "a POST to enter", method: "POST", tickets: map[string]string{"t1": urlID}, url: enter("t1", base), wantStatus: http.StatusMethodNotAllowed, wantKept: true},

		// The session's origin serves its session, to those it may.
		{name: "the session on its origin", originUser: "alice", url: origin + base + "index.html", wantStatus: http.StatusOK, wantProxied: true},
		{name: "a viewer on the session's origin", originUser: "viewer", url: origin + base, wantStatus: http.StatusOK, wantProxied: true},
		{name: "a browser without the origin's cookie goes to the portal", url: origin + base + "x?y=1", header: html,
			wantStatus: http.StatusFound, wantLocation: portal + base + "x?y=1"},
		{name: "an API client without credentials", url: origin + base, wantStatus: http.StatusUnauthorized},
		{name: "somebody the session is not shared with", originUser: "bob", url: origin + base, wantStatus: http.StatusNotFound, wantRefused: notFound},
		{name: "a cross-site POST", originUser: "alice", method: "POST", url: origin + base + "upload",
			header: http.Header{"Sec-Fetch-Site": {"same-site"}, "Origin": {portal}}, wantStatus: http.StatusForbidden},

		// And nothing else.
		{name: "no API on a session's origin", originUser: "alice", url: origin + "/api/v1/me", wantStatus: http.StatusNotFound},
		{name: "no token minting on a session's origin", originUser: "alice", method: "POST", url: origin + "/api/v1/tokens", wantStatus: http.StatusNotFound},
		{name: "no portal on a session's origin", originUser: "alice", url: origin + "/", header: html, wantStatus: http.StatusNotFound},
		{name: "no sign-in on a session's origin", originUser: "alice", url: origin + "/login", header: html, wantStatus: http.StatusNotFound},
		{name: "no other session on a session's origin", originUser: "alice", url: origin + "/user/alice/containers/" + otherID + "/", wantStatus: http.StatusNotFound},
		{name: "a name that is no session's", originUser: "alice", url: "https://www.appliance.test:8443" + base, wantStatus: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &originBackend{
				fakeBackend: &fakeBackend{routes: map[string]routes.Route{
					urlID:   {URLID: urlID, User: "alice", Upstream: "127.0.0.1:32768"},
					otherID: {URLID: otherID, User: "alice", Upstream: "127.0.0.1:32769"},
				}, user: tt.user},
				originUser: tt.originUser, tickets: tt.tickets,
			}
			hadTicket := len(tt.tickets) != 0
			if b.tickets == nil {
				b.tickets = map[string]string{}
			}
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req := httptest.NewRequest(method, tt.url, nil)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			req = req.WithContext(context.WithValue(req.Context(), caddyhttp.VarsCtxKey, map[string]any{}))
			proxied := false
			next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
				proxied = true
				w.WriteHeader(http.StatusOK)
				return nil
			})
			w := httptest.NewRecorder()
			if err := (&Handler{SessionHost: "appliance.test", b: b, forward: forwardTo(next)}).ServeHTTP(w, req, nil); err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s, refused with %q)", w.Code, tt.wantStatus, w.Body, b.refused)
			}
			if loc := w.Header().Get("Location"); loc != tt.wantLocation {
				t.Errorf("Location = %q, want %q", loc, tt.wantLocation)
			}
			if proxied != tt.wantProxied {
				t.Errorf("proxied: %v, want %v", proxied, tt.wantProxied)
			}
			if b.served {
				t.Error("the portal's pages or API served a request on a session's name")
			}
			setCookie := w.Header().Get("Set-Cookie")
			if tt.wantCookie != strings.HasPrefix(setCookie, auth.OriginCookieName+"=for-"+urlID) {
				t.Errorf("Set-Cookie = %q", setCookie)
			}
			if tt.wantRefused != "" && b.refused != tt.wantRefused {
				t.Errorf("refused with %q, want %q", b.refused, tt.wantRefused)
			}
			if kept := len(b.tickets) != 0; hadTicket && strings.Contains(tt.url, EnterPath) && kept != tt.wantKept {
				t.Errorf("tickets left: %v, want the ticket kept: %v", b.tickets, tt.wantKept)
			}
		})
	}
}

// TestSetCookieStripped: whatever a session answers, no Set-Cookie for the
// appliance's cookie names reaches the browser (path mode here, where the
// session shares the portal's origin; subdomain mode goes through the
// same writer).
func TestSetCookieStripped(t *testing.T) {
	base := "/user/alice/containers/" + urlID + "/"
	set := []string{
		"__Host-simphony-session=evil; Path=/; Secure",
		"__HOST-SIMPHONY-SESSION=evil; Path=/; Secure",
		" \t__Host-simphony-session =evil; Path=/; Secure",
		"\"__Host-simphony-session\"=evil; Path=/; Secure",
		"__Host-simphony-origin=evil; Path=/; Secure",
		"=__Host-simphony-session=evil; Path=/; Secure",
		"__Host-simphony-session; Path=/; Secure",
		"app_state=kept; Path=/",
		"simphony=kept-too; Path=/",
		"__Host-app=kept-as-well; Path=/; Secure",
	}
	for _, tc := range []struct {
		name string
		ws   bool
	}{{name: "an answer"}, {name: "a WebSocket handshake", ws: true}} {
		t.Run(tc.name, func(t *testing.T) {
			app := newUpgradeApp(t, http.Header{"Set-Cookie": set}) // a WebSocket's 101
			b := &fakeBackend{routes: map[string]routes.Route{urlID: {URLID: urlID, User: "alice", Upstream: app.addr}}, user: "alice"}
			req := httptest.NewRequest(http.MethodGet, "https://appliance.test"+base, nil)
			status := http.StatusOK
			if tc.ws {
				req.Header.Set("Upgrade", "websocket")
				req.Header.Set("Connection", "Upgrade")
				status = http.StatusSwitchingProtocols
			}
			req = req.WithContext(context.WithValue(req.Context(), caddyhttp.VarsCtxKey, map[string]any{}))
			next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
				for _, c := range set {
					w.Header().Add("Set-Cookie", c)
				}
				_, err := w.Write([]byte("hello")) // no WriteHeader: the first Write sends the header
				return err
			})
			w := newHijackRecorder(t)
			if err := (&Handler{b: b, forward: forwardTo(next)}).ServeHTTP(w, req, nil); err != nil {
				t.Fatal(err)
			}
			code, header := w.settle(t)
			got := strings.Join(header.Values("Set-Cookie"), " | ")
			if code != status || got != "app_state=kept; Path=/ | simphony=kept-too; Path=/ | __Host-app=kept-as-well; Path=/; Secure" {
				t.Errorf("%d, Set-Cookie reaching the browser: %s", code, got)
			}
		})
	}
}

// TestWebSocketOrigin: a WebSocket handshake to a session comes from that
// session's own origin (or the portal's, in path mode), or from no page.
func TestWebSocketOrigin(t *testing.T) {
	base := "/user/alice/containers/" + urlID + "/ws"
	origin := "https://" + urlID + ".appliance.test"
	for _, tc := range []struct {
		name, sessionHost, host string
		origin                  []string
		user                    string
		want                    int
	}{
		{name: "path mode, the portal's origin", host: "appliance.test", origin: []string{"https://appliance.test"}, want: http.StatusSwitchingProtocols},
		{name: "path mode, no Origin (not a browser)", host: "appliance.test", want: http.StatusSwitchingProtocols},
		{name: "path mode, another site", host: "appliance.test", origin: []string{"https://evil.example"}, want: http.StatusForbidden},
		{name: "path mode, a session's origin", host: "appliance.test", origin: []string{origin}, want: http.StatusForbidden},
		{name: "path mode, plain http", host: "appliance.test", origin: []string{"http://appliance.test"}, want: http.StatusForbidden},
		{name: "path mode, null", host: "appliance.test", origin: []string{"null"}, want: http.StatusForbidden},
		{name: "path mode, two Origins", host: "appliance.test", origin: []string{"https://appliance.test", "https://evil.example"}, want: http.StatusForbidden},
		{name: "subdomain mode, the session's own origin", sessionHost: "appliance.test", host: urlID + ".appliance.test", origin: []string{origin}, want: http.StatusSwitchingProtocols},
		{name: "subdomain mode, no Origin", sessionHost: "appliance.test", host: urlID + ".appliance.test", want: http.StatusSwitchingProtocols},
		{name: "subdomain mode, the portal's origin", sessionHost: "appliance.test", host: urlID + ".appliance.test", origin: []string{"https://appliance.test"}, want: http.StatusForbidden},
		{name: "subdomain mode, another session's origin", sessionHost: "appliance.test", host: urlID + ".appliance.test", origin: []string{"https://" + otherID + ".appliance.test"}, want: http.StatusForbidden},
		{name: "subdomain mode, a viewer from another session's origin", sessionHost: "appliance.test", host: urlID + ".appliance.test", user: "viewer",
			origin: []string{"https://" + otherID + ".appliance.test"}, want: http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user := tc.user
			if user == "" {
				user = "alice"
			}
			app := newUpgradeApp(t, nil)
			b := &originBackend{
				fakeBackend: &fakeBackend{routes: map[string]routes.Route{urlID: {URLID: urlID, User: "alice", Upstream: app.addr}}, user: user},
				originUser:  user, tickets: map[string]string{},
			}
			req := httptest.NewRequest(http.MethodGet, "https://"+tc.host+base, nil)
			req.Header.Set("Upgrade", "websocket")
			req.Header.Set("Connection", "Upgrade")
			req.Header["Origin"] = tc.origin
			req = req.WithContext(context.WithValue(req.Context(), caddyhttp.VarsCtxKey, map[string]any{}))
			w := newHijackRecorder(t)
			if err := (&Handler{SessionHost: tc.sessionHost, b: b}).ServeHTTP(w, req, nil); err != nil {
				t.Fatal(err)
			}
			if code, _ := w.settle(t); code != tc.want {
				t.Errorf("status = %d, want %d (refused with %q)", code, tc.want, b.refused)
			}
		})
	}
}
