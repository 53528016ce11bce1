package caddymodule

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/routes"
)

func TestDropClientHeaders(t *testing.T) {
	id := auth.Identity{User: "alice", Login: auth.Login{CSRF: "the-login-s-csrf"}}
	h := http.Header{
		"Forwarded":              {"for=203.0.113.9"},
		"Via":                    {"1.1 evil"},
		"X-Real-Ip":              {"203.0.113.9"},
		"X-Forwarded-For":        {"203.0.113.9"},
		"X-Forwarded-Prefix":     {"/evil"},
		"X-Forwarded-Port":       {"80"},
		"X-Forwarded-Email":      {"root@example.org"},
		"X-Original-Url":         {"/admin"},
		"True-Client-Ip":         {"203.0.113.9"},
		"Remote-User":            {"root"},
		"Remote-Groups":          {"admins"},
		"X-Remote-Groups":        {"admins"},
		"X-Auth-Request-Email":   {"root@example.org"},
		"X-Http-Method-Override": {"DELETE"},
		// The caller's token goes; an application's own passes.
		"X-Csrf-Token": {"the-login-s-csrf", "a-rails-app-s-token"},
		"Accept":       {"text/html"},
		"X-App":        {"kept"},
	}
	dropClientHeaders(h, id)
	want := http.Header{"X-Csrf-Token": {"a-rails-app-s-token"}, "Accept": {"text/html"}, "X-App": {"kept"}}
	if len(h) != len(want) {
		t.Errorf("headers left: %v, want %v", h, want)
	}
	for k, v := range want {
		if !slices.Equal(h[k], v) {
			t.Errorf("%s = %q, want %q", k, h[k], v)
		}
	}

	// A caller without a login (an API token) has no CSRF token to leak.
	h = http.Header{"X-Csrf-Token": {"anything"}}
	dropClientHeaders(h, auth.Identity{User: "alice"})
	if h.Get("X-Csrf-Token") != "anything" {
		t.Errorf("X-CSRF-Token of a token caller = %q", h.Get("X-Csrf-Token"))
	}
}

func TestHSTSHost(t *testing.T) {
	for host, want := range map[string]bool{
		"appliance.example.org": true, "appliance.example.org:8443": true, "lab": true,
		"0123456789abcdef0123456789abcdef.appliance.example.org:8443": true,
		"localhost": false, "localhost:8443": false, "LOCALHOST.": false, "x.localhost:8443": false,
		"127.0.0.1": false, "127.0.0.1:8443": false, "[::1]:8443": false, "::1": false, "[fe80::1%25eth0]:1": false,
		"": false,
	} {
		if got := hstsHost(host); got != want {
			t.Errorf("hstsHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// TestHSTSOnEveryAnswer: the appliance's pages, a session's answers and
// the module's own refusals all carry HSTS over HTTPS on a name; plain
// HTTP (make bench's listener) and localhost do not.
func TestHSTSOnEveryAnswer(t *testing.T) {
	base := "/user/alice/containers/" + urlID + "/"
	route := routes.Route{URLID: urlID, User: "alice", Upstream: "127.0.0.1:32768"}
	for _, tt := range []struct {
		name, url, user string
		want            bool
	}{
		{"a page", "https://appliance.example.org/login", "", true},
		{"a session", "https://appliance.example.org" + base, "alice", true},
		{"a session on its own origin", "https://" + urlID + ".appliance.example.org:8443" + base, "alice", true},
		{"a refusal", "https://appliance.example.org" + base, "bob", true},
		{"anonymous", "https://appliance.example.org" + base, "", true},
		{"a bad path", "https://appliance.example.org" + base + "a%2fb", "alice", true},
		{"plain HTTP", "http://appliance.example.org" + base, "alice", false},
		{"localhost", "https://localhost:8443" + base, "alice", false},
		{"a session under localhost", "https://" + urlID + ".localhost:8443" + base, "alice", false},
		{"an IP address", "https://127.0.0.1:8443/login", "", false},
	} {
		// The session's own Strict-Transport-Security never reaches the
		// browser, on a 101 as on any other answer (the tunnel's 101 in
		// tunnel_test.go).
		for _, status := range []int{http.StatusOK, http.StatusSwitchingProtocols} {
			t.Run(fmt.Sprintf("%s %d", tt.name, status), func(t *testing.T) {
				b := &fakeBackend{routes: map[string]routes.Route{urlID: route}, user: tt.user}
				next := &nextHandler{status: status, set: http.Header{"Strict-Transport-Security": {"max-age=0"}}}
				w := serve(t, b, next, httptest.NewRequest(http.MethodGet, tt.url, nil))
				got := w.Header().Values("Strict-Transport-Security")
				if tt.want && !slices.Equal(got, []string{hsts}) {
					t.Errorf("Strict-Transport-Security = %q, want %q", got, hsts)
				}
				if !tt.want && len(got) > 0 {
					t.Errorf("Strict-Transport-Security = %q, want none", got)
				}
			})
		}
	}
}
