package e2e

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// TestMain removes the binary the tests built (see binary).
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// binary builds simphony-remote once for the tests that run it.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "simphony-remote-e2e")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "simphony-remote")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/simphony/simphony-remote").CombinedOutput()
		if err != nil {
			binErr = err
			t.Logf("%s", out)
		}
	})
	if binErr != nil {
		t.Fatalf("building simphony-remote: %v", binErr)
	}
	return binPath
}

// run runs the CLI against the appliance's data directory.
func run(t *testing.T, s *appliancetest.Server, stdin string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), "SIMPHONY_REMOTE_DATA_DIR="+s.Config.DataDir)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// TestCLIThroughTheSocket runs the db command against a running appliance:
// the database is held by the appliance, so the command goes through the
// admin socket, and what it does takes effect at once.
func TestCLIThroughTheSocket(t *testing.T) {
	s := newSetup(t)
	if fi, err := os.Stat(filepath.Join(s.Config.DataDir, "admin.sock")); err != nil || fi.Mode().Perm() != 0o660 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("admin socket: %v, %v", fi, err)
	}
	must := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, err := run(t, s.Server, stdin, args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut)
		}
		return out
	}
	must("a good password\n", "db", "user", "create", "carol", "--password-stdin")
	id := strings.TrimSpace(must("", "db", "app", "grant", s.image, "carol", "--allow-home"))
	if len(id) != 32 {
		t.Fatalf("grant printed %q", id)
	}
	if out := must("", "db", "user", "list", "--show-apps"); !strings.Contains(out, "carol") || !strings.Contains(out, id) {
		t.Errorf("user list:\n%s", out)
	}

	// Carol signs in over HTTPS and starts her grant.
	carol := s.Login("carol", "a good password")
	path := s.start(t, carol, id)

	// A new password signs her out everywhere...
	must("another password\n", "db", "user", "set-password", "carol", "--password-stdin")
	resp := carol.Do("GET", "/", nil, nil)
	resp.Body.Close()
	if resp.StatusCode != 303 {
		t.Errorf("the portal after a password change: %d, want a redirect to sign in", resp.StatusCode)
	}
	carol = s.Login("carol", "another password")
	// ...and revoking the grant stops its session.
	must("", "db", "app", "revoke", s.image, "carol", "--allow-home")
	resp = carol.Do("GET", path, nil, nil)
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("the session of a revoked grant: %d, want 404", resp.StatusCode)
	}
	if n := len(s.App.Sessions().List("carol")); n != 0 {
		t.Errorf("%d sessions of carol remain", n)
	}
	// Disabled users cannot sign in.
	must("", "db", "user", "disable", "carol")
	b := s.NewBrowser()
	resp = b.PostForm("/login", url.Values{"username": {"carol"}, "password": {"another password"}})
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("a disabled user signing in: %d", resp.StatusCode)
	}
	// Backups work while serving.
	backup := filepath.Join(t.TempDir(), "backup.db")
	must("", "db", "backup", backup)
	if out, _, err := run(t, s.Server, "", "db", "--db", backup, "user", "list"); err != nil || !strings.Contains(out, "carol") {
		t.Errorf("the backup: %v\n%s", err, out)
	}
	// Errors come through with their message and exit code.
	if _, errOut, err := run(t, s.Server, "", "db", "user", "create", "Bad/Name"); err == nil || !strings.Contains(errOut, `invalid user name "Bad/Name"`) {
		t.Errorf("a bad name through the socket: %v %s", err, errOut)
	}
}

// TestCLIDatabaseFlagWhileServing: "db --db DATA/simphony-remote.db ...",
// run from another directory with none of the appliance's configuration,
// goes through the admin socket next to the file while the appliance
// serves it (it said "the database is in use by another process"), and
// opens the file once the appliance has stopped. The database may also
// come first, as remoteappdb took it, and images are found under any
// spelling.
func TestCLIDatabaseFlagWhileServing(t *testing.T) {
	s := appliancetest.Start(t)
	db := s.Config.AccountingPath()
	elsewhere := t.TempDir()
	cli := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(binary(t), args...)
		cmd.Dir = elsewhere
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "SIMPHONY_REMOTE_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errb.String())
		}
		return out.String()
	}
	cli("a good password\n", "db", "--db", db, "user", "create", "erin", "--password-stdin")
	if u, err := s.App.Store().User(t.Context(), "erin"); err != nil || u.PasswordHash == "" {
		t.Fatalf("the appliance does not know erin: %+v, %v", u, err)
	}
	s.Login("erin", "a good password") // at once, through the appliance
	if out := cli("", "db", db, "user", "list", "--no-decoration"); out != "admin\nerin\n" {
		t.Errorf("db PATH user list = %q", out)
	}
	cli("", "db", "--db", db, "app", "create", "lab/e2e-tool", "--no-verify", "--memory", "1GiB", "--cpus", "2")
	id := strings.TrimSpace(cli("", "db", "--db", db, "app", "grant", "docker.io/lab/e2e-tool:latest", "erin", "--allow_home"))
	if g, err := s.App.Store().GrantByID(t.Context(), id); err != nil || g.Image != "lab/e2e-tool" || !g.Policy.AllowHome {
		t.Errorf("the grant in the appliance: %+v, %v", g, err)
	}
	cli("", "db", "--db", db, "app", "limits", "lab/e2e-tool:latest", "--pids", "50")
	if a, err := s.App.Store().Application(t.Context(), "lab/e2e-tool"); err != nil || a.Limits != (accounting.Limits{Memory: 1 << 30, CPUs: 2, Pids: 50}) {
		t.Errorf("limits after changing pids alone: %+v, %v", a, err)
	}

	if out := cli("", "db", "--db", db, "audit", "--limit", "50"); !strings.Contains(out, "erin") || !strings.Contains(out, "admin.sock") {
		t.Errorf("db --db FILE audit while serving:\n%s", out)
	}

	s.Stop()
	if out := cli("", "db", "--db", db, "user", "list", "--no-decoration"); out != "admin\nerin\n" {
		t.Errorf("user list from the file = %q", out)
	}
}

// TestServeCommand runs `simphony-remote serve` as an operator would: it
// prints the URL and the first administrator's password, answers over
// HTTPS, and stops cleanly on SIGTERM.
func TestServeCommand(t *testing.T) {
	dockertest.Require(t)
	data := t.TempDir()
	port := appliancetest.FreePort(t)
	cmd := exec.Command(binary(t), "serve", "--data", data, "--listen", fmt.Sprintf("127.0.0.1:%d", port))
	cmd.Env = append(os.Environ(), "SIMPHONY_REMOTE_LOG_FORMAT=json")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr appliancetest.SafeBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	var out []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		out = append(out, sc.Text())
		if strings.HasPrefix(sc.Text(), "SimPhoNy Remote is running at ") {
			break
		}
	}
	text := strings.Join(out, "\n")
	m := regexp.MustCompile(`First administrator: user admin, password (\S+)`).FindStringSubmatch(text)
	if m == nil || !strings.Contains(text, fmt.Sprintf("running at https://127.0.0.1:%d/", port)) {
		t.Fatalf("serve printed:\n%s\nstderr:\n%s", text, stderr.String())
	}
	if strings.Contains(stderr.String(), m[1]) {
		t.Error("the administrator's password is in the log")
	}
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(filepath.Join(data, "caddy", "pki", "authorities", "local", "root.crt"))
	pool.AppendCertsFromPEM(caPEM)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(fmt.Sprintf("https://127.0.0.1:%d/healthz", port))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s of SIGTERM")
	}
	if _, err := os.Stat(filepath.Join(data, "admin.sock")); err == nil {
		t.Error("the admin socket outlived serve")
	}
	// Caddy's warning about the admin endpoint, which the appliance turns
	// off on purpose, does not worry the operator.
	if log := stderr.String(); strings.Contains(log, "admin endpoint disabled") {
		t.Errorf("serve's log has Caddy's admin endpoint warning:\n%s", log)
	}
}

// TestAppCommand drives the REST client against the real appliance, as a
// scientist's script would.
func TestAppCommand(t *testing.T) {
	s := newSetup(t)
	ctx := t.Context()
	shareable, err := s.App.Store().Grant(ctx, "alice", s.image, accounting.Policy{AllowView: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg := t.TempDir()
	ca := filepath.Join(s.Config.DataDir, "caddy", "pki", "authorities", "local", "root.crt")
	app := func(stdin string, args ...string) (string, string, error) {
		t.Helper()
		cmd := exec.Command(binary(t), append([]string{"app"}, args...)...)
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+cfg)
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	must := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, err := app(stdin, args...)
		if err != nil {
			t.Fatalf("app %v: %v\n%s", args, err, errOut)
		}
		return out
	}
	if _, errOut, err := app("", "available"); err == nil || !strings.Contains(errOut, "app login") {
		t.Errorf("not logged in: %v %s", err, errOut)
	}
	if _, errOut, err := app("wrong password\n", "login", s.URL, "--username", "alice", "--password-stdin", "--ca", ca); err == nil || !strings.Contains(strings.ToLower(errOut), "wrong") {
		t.Errorf("wrong password: %v %s", err, errOut)
	}
	must("password-alice\n", "login", s.URL, "--username", "alice", "--password-stdin", "--ca", ca)
	if fi, err := os.Stat(filepath.Join(cfg, "simphony-remote", "client.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("client.json: %v %v", fi, err)
	}
	if out := must("", "available"); !strings.Contains(out, shareable) || !strings.Contains(out, s.aliceID) {
		t.Errorf("available:\n%s", out)
	}
	url := strings.TrimSpace(must("", "start", shareable))
	if !strings.HasPrefix(url, s.URL+"/user/alice/containers/") {
		t.Fatalf("start printed %q", url)
	}
	urlID := strings.Split(strings.TrimPrefix(url, s.URL), "/")[4]
	// A second start prints the running session and says so.
	if again, errOut, err := app("", "start", shareable); err != nil || strings.TrimSpace(again) != url || !strings.Contains(errOut, "already running") {
		t.Errorf("second start: %v, printed %q (want %q), said %q", err, again, url, errOut)
	}
	if out := must("", "running"); !strings.Contains(out, urlID) {
		t.Errorf("running:\n%s", out)
	}
	must("", "share", urlID, "bob", "--view", "--expires", "1h")
	if out := must("", "shares", urlID, "--json"); !strings.Contains(out, `"user": "bob"`) || !strings.Contains(out, `"mode": "view"`) {
		t.Errorf("shares:\n%s", out)
	}
	bob := s.Login("bob", "password-bob")
	if resp := bob.Do("GET", strings.TrimPrefix(url, s.URL), nil, nil); resp.StatusCode != 200 {
		t.Errorf("bob through the share: %d", resp.StatusCode)
	}
	must("", "unshare", urlID, "bob")
	must("", "stop", urlID)
	if out := must("", "running", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("running after stop: %s", out)
	}
	must("", "logout")
	if _, err := os.Stat(filepath.Join(cfg, "simphony-remote", "client.json")); !os.IsNotExist(err) {
		t.Errorf("client.json after logout: %v", err)
	}
}
