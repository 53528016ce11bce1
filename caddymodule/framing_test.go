package caddymodule

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/routes"
)

// TestEnterFramed: entering a session's origin in a frame (the portal's
// toolbar page) also sets the partitioned twin of the origin's cookie;
// entering it at the top does not.
func TestEnterFramed(t *testing.T) {
	next := url.QueryEscape("/user/alice/containers/" + urlID + "/")
	for _, tc := range []struct {
		name, dest string
		framed     bool
	}{{"at the top", "document", false}, {"in an iframe", "iframe", true}, {"no Sec-Fetch-Dest", "", false}} {
		t.Run(tc.name, func(t *testing.T) {
			b := &originBackend{
				fakeBackend: &fakeBackend{routes: map[string]routes.Route{urlID: {URLID: urlID, User: "alice", Upstream: "127.0.0.1:32768"}}},
				tickets:     map[string]string{"ticket-" + urlID: urlID},
			}
			req := httptest.NewRequest(http.MethodGet, "https://"+urlID+".appliance.test"+EnterPath+"?ticket=ticket-"+urlID+"&next="+next, nil)
			if tc.dest != "" {
				req.Header.Set("Sec-Fetch-Dest", tc.dest)
			}
			w := httptest.NewRecorder()
			if err := (&Handler{SessionHost: "appliance.test", b: b}).ServeHTTP(w, req, nil); err != nil {
				t.Fatal(err)
			}
			cookies := w.Result().Cookies()
			if w.Code != http.StatusSeeOther || len(cookies) == 0 || cookies[0].Name != auth.OriginCookieName {
				t.Fatalf("%d, cookies %v", w.Code, w.Header().Values("Set-Cookie"))
			}
			if got := len(cookies) == 2; got != tc.framed {
				t.Fatalf("the framed cookie set: %v, want %v (%v)", got, tc.framed, w.Header().Values("Set-Cookie"))
			}
			if tc.framed {
				line := w.Header().Values("Set-Cookie")[1]
				for _, want := range []string{auth.FramedCookieName + "=for-" + urlID, "Path=/", "HttpOnly", "Secure", "SameSite=None", "Partitioned"} {
					if !strings.Contains(line, want) {
						t.Errorf("the framed cookie %q has no %s", line, want)
					}
				}
			}
		})
	}
}

// TestFrameAncestors: a session's answers may be framed by its own origin
// and the portal's only, unless the application says otherwise itself.
func TestFrameAncestors(t *testing.T) {
	base := "/user/alice/containers/" + urlID + "/"
	for _, tc := range []struct {
		name, sessionHost, host string
		app                     http.Header
		want                    []string // Content-Security-Policy, X-Frame-Options
	}{
		{name: "path mode", host: "appliance.test", want: []string{"frame-ancestors 'self'", ""}},
		{name: "subdomain mode", sessionHost: "appliance.test", host: urlID + ".appliance.test:8443",
			want: []string{"frame-ancestors 'self' https://appliance.test:8443", ""}},
		{name: "the application's own frame-ancestors", host: "appliance.test",
			app: http.Header{"Content-Security-Policy": {"default-src 'self'; Frame-Ancestors 'none'"}}, want: []string{"default-src 'self'; Frame-Ancestors 'none'", ""}},
		{name: "the application's X-Frame-Options", host: "appliance.test",
			app: http.Header{"X-Frame-Options": {"DENY"}}, want: []string{"", "DENY"}},
		// Values that browsers ignore say nothing: the appliance's policy still
		// applies (and X-Frame-Options stays as the application sent it).
		{name: "the application's X-Frame-Options ALLOW-FROM, which browsers ignore", host: "appliance.test",
			app: http.Header{"X-Frame-Options": {"ALLOW-FROM https://evil.example"}}, want: []string{"frame-ancestors 'self'", "ALLOW-FROM https://evil.example"}},
		{name: "the application's X-Frame-Options ALLOWALL, which browsers ignore", host: "appliance.test",
			app: http.Header{"X-Frame-Options": {"ALLOWALL"}}, want: []string{"frame-ancestors 'self'", "ALLOWALL"}},
		{name: "the application's X-Frame-Options sameorigin", host: "appliance.test",
			app: http.Header{"X-Frame-Options": {" sameorigin "}}, want: []string{"", " sameorigin "}},
		{name: "frame-ancestors named in another directive", host: "appliance.test",
			app:  http.Header{"Content-Security-Policy": {"default-src 'self'; report-uri /csp?frame-ancestors"}},
			want: []string{"default-src 'self'; report-uri /csp?frame-ancestors | frame-ancestors 'self'", ""}},
		{name: "frame-ancestors in the second policy of a header", host: "appliance.test",
			app: http.Header{"Content-Security-Policy": {"script-src 'self', frame-ancestors 'none'"}}, want: []string{"script-src 'self', frame-ancestors 'none'", ""}},
		{name: "the application's CSP without frame-ancestors", host: "appliance.test",
			app: http.Header{"Content-Security-Policy": {"script-src 'self'"}}, want: []string{"script-src 'self' | frame-ancestors 'self'", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fb := &fakeBackend{routes: map[string]routes.Route{urlID: {URLID: urlID, User: "alice", Upstream: "127.0.0.1:32768"}}, user: "alice"}
			var b Backend = fb
			if tc.sessionHost != "" {
				b = &originBackend{fakeBackend: fb, originUser: "alice"}
			}
			req := httptest.NewRequest(http.MethodGet, "https://"+tc.host+base, nil)
			req = req.WithContext(context.WithValue(req.Context(), caddyhttp.VarsCtxKey, map[string]any{}))
			next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
				for k, v := range tc.app {
					w.Header()[k] = v
				}
				_, err := w.Write([]byte("hello"))
				return err
			})
			w := httptest.NewRecorder()
			if err := (&Handler{SessionHost: tc.sessionHost, b: b, forward: forwardTo(next)}).ServeHTTP(w, req, nil); err != nil {
				t.Fatal(err)
			}
			csp := strings.Join(w.Header().Values("Content-Security-Policy"), " | ")
			if w.Code != http.StatusOK || csp != tc.want[0] || w.Header().Get("X-Frame-Options") != tc.want[1] {
				t.Errorf("%d, Content-Security-Policy %q, X-Frame-Options %q; want %q", w.Code, csp, w.Header().Get("X-Frame-Options"), tc.want)
			}
		})
	}
}
