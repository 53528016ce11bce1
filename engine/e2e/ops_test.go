package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/config"
)

const metricsToken = "scrape-token-0123456789abcdef"

// /healthz tells anonymous callers only ok or not ok, administrators
// the checks; /readyz says ready once the sessions are known; /metrics is
// for administrators and the configured scrape token only, not for any
// local process.
func TestHealthReadinessMetrics(t *testing.T) {
	s := appliancetest.Start(t, appliancetest.WithConfig(func(c *config.Config) {
		c.Metrics.Token = metricsToken
	}))
	hash, err := auth.HashPassword("password-alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.App.Store().CreateUser(t.Context(), accounting.User{Name: "alice", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	anon := caller{t: t, s: s, name: "anonymous"}
	admin := tokenFor(t, s, "admin", s.AdminPassword)
	alice := tokenFor(t, s, "alice", "password-alice")
	adminCookie := s.Login("admin", s.AdminPassword)

	health := func(code int, body []byte) map[string]any {
		t.Helper()
		var out map[string]any
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("healthz: %d %s: %v", code, body, err)
		}
		if want := map[bool]string{true: "ok", false: "degraded"}[code == http.StatusOK]; out["status"] != want {
			t.Errorf("healthz: %d with status %v", code, out["status"])
		}
		return out
	}
	for _, c := range []caller{anon, alice} {
		code, body, _ := c.do("GET", "/healthz", nil)
		if out := health(code, body); len(out) != 1 {
			t.Errorf("healthz for %s: %s, want the status alone", c.name, body)
		}
	}
	code, body, _ := admin.do("GET", "/healthz", nil)
	checks, _ := health(code, body)["checks"].(map[string]any)
	if checks["store"] != "ok" || checks["docker"] == nil {
		t.Errorf("healthz for an administrator's token: %s, want the checks", body)
	}
	resp := adminCookie.Do("GET", "/healthz", nil, nil)
	if b := appliancetest.ReadBody(resp); !strings.Contains(b, `"checks"`) {
		t.Errorf("healthz for an administrator's browser: %s, want the checks", b)
	}

	code, body, _ = anon.do("GET", "/readyz", nil)
	if code != http.StatusOK || strings.TrimSpace(string(body)) != `{"status":"ready"}` {
		t.Errorf("readyz: %d %s", code, body)
	}

	for _, c := range []caller{anon, alice, {t: t, s: s, name: "a wrong scrape token", token: metricsToken + "x"}} {
		if code, body, _ := c.do("GET", "/metrics", nil); code != http.StatusForbidden || strings.Contains(string(body), "simphony_remote_") {
			t.Errorf("metrics for %s from the appliance's machine: %d %.200s", c.name, code, body)
		}
	}
	for _, c := range []caller{admin, {t: t, s: s, name: "the scrape token", token: metricsToken}} {
		if code, body, _ := c.do("GET", "/metrics", nil); code != http.StatusOK || !strings.Contains(string(body), "simphony_remote_sessions_running") {
			t.Errorf("metrics for %s: %d %.200s", c.name, code, body)
		}
	}
	if b := appliancetest.ReadBody(adminCookie.Do("GET", "/metrics", nil, nil)); !strings.Contains(b, "simphony_remote_sessions_running") {
		t.Errorf("metrics for an administrator's browser: %.200s", b)
	}
}
