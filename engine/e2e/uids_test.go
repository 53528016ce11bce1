package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/images"
)

// asOtherUID runs a command as uid and gid 1000, with no groups: a local
// account other than the appliance and the session's owner (the account
// that could read sessions' secrets and use their ports when every
// session ran as 1000). It returns the command's output and error.
func asOtherUID(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	for _, tool := range []string{"setpriv", name} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := "this test needs " + tool + ": " + err.Error()
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip("SKIPPED: " + msg)
		}
	}
	dockertest.RequireRoot(t, "to run a command as another uid")
	var out bytes.Buffer
	cmd := exec.CommandContext(t.Context(), "setpriv", append([]string{"--reuid", "1000", "--regid", "1000", "--clear-groups", name}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestAnotherUIDCannotUseTheSessionPort: a process of another local uid
// can connect to a session's port on 127.0.0.1, but gets 403 without the
// session's key (even claiming to be the user in X-Remote-User), and
// cannot read the key or the url id from the container's /proc; root
// without the key gets 403 too; the proxy path works.
func TestAnotherUIDCannotUseTheSessionPort(t *testing.T) {
	requireStarters(t)
	s := appliancetest.Start(t)
	t.Cleanup(func() {
		for _, r := range s.App.Sessions().Routes().List() {
			_ = s.App.Sessions().StopAny(context.Background(), r.URLID, "test")
		}
	})
	st := s.App.Store()
	if err := st.CreateApplication(t.Context(), accounting.Application{Image: images.Files}); err != nil {
		t.Fatal(err)
	}
	hash, _ := auth.HashPassword("password-alice")
	if err := st.CreateUser(t.Context(), accounting.User{Name: "alice", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	mapping, err := st.Grant(t.Context(), "alice", images.Files, accounting.Policy{AllowHome: true})
	if err != nil {
		t.Fatal(err)
	}
	api := tokenFor(t, s, "alice", "password-alice")
	var c wire.Container
	api.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: mapping}, http.StatusCreated, &c)
	route, ok := s.App.Sessions().Get(c.URLID)
	if !ok {
		t.Fatal("no route for the started session")
	}
	direct := "http://" + route.Upstream + c.URLPath

	// Through the proxy: the file browser.
	owner := s.Login("alice", "password-alice")
	resp := owner.Do("GET", c.URLPath, nil, http.Header{"X-Simphony-Session-Key": {"forged"}})
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<title>/workspace/</title>") {
		t.Fatalf("through the proxy (with a forged key header, which the proxy replaces): %d %.200s", resp.StatusCode, body)
	}

	// Straight to the port, as another local user.
	for _, hdr := range [][]string{nil, {"-H", "X-Remote-User: alice"}, {"-H", "X-Simphony-Session-Key: "}} {
		args := append([]string{"-s", "-o", "/dev/null", "-w", "%{http_code}"}, hdr...)
		out, err := asOtherUID(t, "curl", append(args, direct)...)
		if err != nil || out != "403" {
			t.Errorf("uid 1000 on the session's port %v: %q, %v; want 403", hdr, out, err)
		}
	}
	// Root, without the key, is refused too: the key, not the uid, opens
	// the port.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, direct, nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("root without the key: %v, %v; want 403", resp, err)
	} else {
		resp.Body.Close()
	}

	// The container's processes, from the host: another uid cannot read
	// their environment (URL_ID, the key).
	info, err := dockertest.Require(t).API().ContainerInspect(t.Context(), route.ContainerID)
	if err != nil {
		t.Fatal(err)
	}
	// The starter runs as alice's own uid, with no root step.
	uid, err := st.SessionUID(t.Context(), "alice", s.Config.Sessions.UIDRange)
	if err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", info.State.Pid))
	if want := fmt.Sprintf("\nUid:\t%d\t%d\t%d\t%d\n", uid, uid, uid, uid); err != nil || !strings.Contains(string(status), want) {
		t.Errorf("the files container's process: %v; want %q in:\n%s", err, want, status)
	}
	environ := fmt.Sprintf("/proc/%d/environ", info.State.Pid)
	out, err := asOtherUID(t, "cat", environ)
	if err == nil || strings.Contains(out, c.URLID) || strings.Contains(out, route.SessionKey) || !strings.Contains(out, "Permission denied") {
		t.Errorf("uid 1000 reading %s: %v, %q; want permission denied", environ, err, out)
	}
	// (Root can: that is how the test knows the file holds them.)
	if b, err := os.ReadFile(environ); err != nil || !bytes.Contains(b, []byte(route.SessionKey)) || !bytes.Contains(b, []byte(c.URLID)) {
		t.Errorf("root reading %s: %v; it should hold the key and the url id", environ, err)
	}
}

// TestLegacyImageNeedsRunAsRoot: an image made for the original
// simphony-remote (testdata/legacyvnc: it creates its user as root) fails
// to start, saying why, unless an administrator marked it run-as-root;
// marked, it starts.
func TestLegacyImageNeedsRunAsRoot(t *testing.T) {
	s, image := legacyAppliance(t)
	st := s.App.Store()
	if err := st.CreateApplication(t.Context(), accounting.Application{Image: image}); err != nil {
		t.Fatal(err)
	}
	hash, _ := auth.HashPassword("password-alice")
	if err := st.CreateUser(t.Context(), accounting.User{Name: "alice", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	mapping, err := st.Grant(t.Context(), "alice", image, accounting.Policy{AllowHome: true})
	if err != nil {
		t.Fatal(err)
	}
	api := tokenFor(t, s, "alice", "password-alice")
	code, body, _ := api.do("POST", "/api/v1/containers", wire.StartRequest{MappingID: mapping})
	if code == http.StatusCreated || !strings.Contains(string(body), "the container stopped") || !strings.Contains(string(body), "Permission denied") {
		t.Fatalf("starting the unmarked legacy image: %d %s; want a failure quoting its groupadd/useradd error", code, body)
	}
	if n := len(s.App.Sessions().Routes().List()); n != 0 {
		t.Errorf("%d sessions after the failed start", n)
	}

	if err := st.SetRunAsRoot(t.Context(), image, true); err != nil {
		t.Fatal(err)
	}
	var c wire.Container
	api.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: mapping}, http.StatusCreated, &c)
	owner := s.Login("alice", "password-alice")
	resp := owner.Do("GET", c.URLPath, nil, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the marked legacy desktop through the proxy: %d", resp.StatusCode)
	}
}
