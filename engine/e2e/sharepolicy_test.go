package e2e

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
)

// TestSharingNotAllowedByPolicy: sharing a session whose grant does not
// allow it (no allow_view) says so, in the API and on the portal, instead
// of calling the session invalid.
func TestSharingNotAllowedByPolicy(t *testing.T) {
	const want = "sharing is not allowed by this application's policy"
	s := newSetup(t) // alice's grant: allow_home, not allow_view
	alice := tokenFor(t, s.Server, "alice", "password-alice")
	var session wire.Container
	alice.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: s.aliceID}, http.StatusCreated, &session)
	shares := "/api/v1/containers/" + session.URLID + "/shares"

	for _, call := range []struct {
		method string
		body   any
	}{{"POST", wire.ShareRequest{User: "bob", Mode: "view"}}, {"GET", nil}} {
		code, body, _ := alice.do(call.method, shares, call.body)
		var e wire.Error
		_ = json.Unmarshal(body, &e)
		if code != http.StatusForbidden || e.Type != wire.TypeForbidden || e.Message != want {
			t.Errorf("%s %s: %d %s, want 403 forbidden %q", call.method, shares, code, body, want)
		}
	}

	portal := s.Login("alice", "password-alice")
	resp := portal.PostForm("/share", url.Values{"url_id": {session.URLID}, "user": {"bob"}, "mode": {"view"}})
	page := html.UnescapeString(appliancetest.ReadBody(resp))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Not shared: "+want+".") || strings.Contains(page, "invalid session") {
		t.Errorf("sharing from the portal: %d\n%s", resp.StatusCode, page)
	}

	// The app command says what the API says.
	cfg := t.TempDir()
	app := func(stdin string, args ...string) (string, error) {
		t.Helper()
		cmd := exec.Command(binary(t), append([]string{"app"}, args...)...)
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+cfg)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	ca := filepath.Join(s.Config.DataDir, "caddy", "pki", "authorities", "local", "root.crt")
	if out, err := app("password-alice\n", "login", s.URL, "--username", "alice", "--password-stdin", "--ca", ca); err != nil {
		t.Fatalf("app login: %v\n%s", err, out)
	}
	if out, err := app("", "share", session.URLID, "bob", "--view"); err == nil || !strings.Contains(out, want) {
		t.Errorf("app share: %v\n%s", err, out)
	}
}
