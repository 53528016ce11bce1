package installer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// requireTools fails under CI, and skips elsewhere, when a tool the
// installer's test needs is missing.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			msg := "the installer's test needs " + tool + " (make testdeps, make images)"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip("SKIPPED: " + msg)
		}
	}
	if os.Getuid() != 0 {
		msg := "the installer's test runs Docker containers as root"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED: " + msg)
	}
}

// sh runs a command, failing the test with its output when it fails.
func sh(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// installRoot is a Debian 12 system to install into: the starter
// desktop's debootstrap base (make images makes it) with Docker's client
// (the package depends on docker.io). It is kept as an image, like the
// base, and made again only when the base changes.
func installRoot(t *testing.T) string {
	t.Helper()
	bases := strings.Fields(sh(t, "docker", "images", "--format", "{{.Repository}}:{{.Tag}}", "simphony-remote/desktop-base"))
	if len(bases) == 0 {
		t.Fatal("no simphony-remote/desktop-base image: make images makes it")
	}
	base := bases[0]
	tag := "simphony-remote-test/install-root:" + base[strings.LastIndex(base, ":")+1:]
	if exec.Command("docker", "image", "inspect", tag).Run() == nil {
		return tag
	}
	dir := t.TempDir()
	dockerfile := "FROM " + base + "\n" +
		"RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io ca-certificates >/dev/null && rm -rf /var/lib/apt/lists/*\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("making %s from %s (once)", tag, base)
	sh(t, "docker", "build", "-q", "-t", tag, dir)
	return tag
}

// root is a running container of the install root.
type root struct {
	t    *testing.T
	name string
}

func (r root) exec(args ...string) (string, error) {
	out, err := exec.Command("docker", append([]string{"exec", r.name}, args...)...).CombinedOutput()
	return string(out), err
}

func (r root) must(args ...string) string {
	r.t.Helper()
	out, err := r.exec(args...)
	if err != nil {
		r.t.Fatalf("in the root: %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TestInstallInIsolatedRoot installs the packages with install.sh into a
// Debian 12 container (without systemd), signs in with the printed
// password over HTTPS trusting the installed CA, starts a session, upgrades
// to a newer package and checks that the records and the session survived,
// then uninstalls (data kept) and purges (data gone).
func TestInstallInIsolatedRoot(t *testing.T) {
	requireTools(t, "docker", "dpkg-deb")
	old, newer, bin := t.TempDir(), t.TempDir(), packageBinaries(t)
	buildPackages(t, bin, "v0.0.1", old)
	buildPackages(t, bin, "v0.0.2", newer)
	img := installRoot(t)

	script, err := filepath.Abs("install.sh")
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	// The data directory is the same path inside and outside: the host's
	// Docker Engine mounts the users' homes from it into their sessions.
	// (Its parent is mounted, so that a purge can remove it.)
	mount := t.TempDir()
	data := filepath.Join(mount, "data")
	r := root{t: t, name: fmt.Sprintf("simphony-remote-install-test-%d", time.Now().UnixNano())}
	// The host's network, so that the appliance inside reaches the
	// sessions it starts on the host's Docker Engine at 127.0.0.1.
	sh(t, "docker", "run", "-d", "--name", r.name, "--network", "host",
		"-v", "/var/run/docker.sock:/var/run/docker.sock",
		"-v", old+":/old:ro", "-v", newer+":/new:ro", "-v", script+":/install.sh:ro", "-v", mount+":"+mount,
		img, "sleep", "infinity")
	var installation string
	t.Cleanup(func() {
		// The sessions it started on the host's Docker Engine, then the root.
		if installation != "" {
			ids := strings.Fields(sh(t, "docker", "ps", "-aq", "--filter", "label=eu.simphony-project.docker.runinfo.installation="+installation))
			if len(ids) > 0 {
				sh(t, "docker", append([]string{"rm", "-f"}, ids...)...)
			}
		}
		_ = exec.Command("docker", "rm", "-f", r.name).Run()
	})
	opts := []string{"/install.sh", "--no-systemd", "--no-images", "--port", strconv.Itoa(port), "--data-dir", data}

	// --dry-run says what it would do, and does nothing.
	out := r.must(append(opts, "--dry-run", "--packages", "/old")...)
	if !strings.Contains(out, "install: [dry run] installing simphony-remote_0.0.1_"+runtime.GOARCH+".deb") {
		t.Errorf("--dry-run:\n%s", out)
	}
	if _, err := r.exec("test", "-e", "/usr/bin/simphony-remote"); err == nil {
		t.Error("--dry-run installed the binary")
	}
	// Bad input: a clear message, nothing done.
	if out, err := r.exec("/install.sh", "--port", "http"); err == nil || !strings.Contains(out, "--port http: want a number from 1 to 65535") {
		t.Errorf("--port http: %v\n%s", err, out)
	}

	// The install.
	out = r.must(append(opts, "--packages", "/old")...)
	t.Logf("install.sh:\n%s", out)
	password := regexp.MustCompile(`administrator: admin, password: (\S+)`).FindStringSubmatch(out)
	printed := regexp.MustCompile(`SHA-256 fingerprint ([0-9A-F:]{95})`).FindStringSubmatch(out)
	if password == nil || printed == nil {
		t.Fatalf("install.sh printed no password or fingerprint:\n%s", out)
	}
	for _, step := range []string{"install: installing simphony-remote_0.0.1_" + runtime.GOARCH + ".deb… done in", "install: configuring /etc/simphony-remote/simphony-remote.toml… done in", "install: starting the appliance… done in"} {
		if !strings.Contains(out, step) {
			t.Errorf("install.sh did not say %q", step)
		}
	}
	// It runs as the unit runs it (root, with the group of its admin
	// socket), with the installed configuration.
	proc := r.must("sh", "-c", `pid=$(cat /run/simphony-remote.pid); stat -c %U:%G /proc/$pid; tr '\0' ' ' </proc/$pid/cmdline`)
	if proc != "root:simphony-remote\n/usr/bin/simphony-remote serve --config /etc/simphony-remote/simphony-remote.toml " {
		t.Errorf("the appliance runs as: %q", proc)
	}
	caPEM := r.must("cat", data+"/caddy/pki/authorities/local/root.crt")
	block, _ := pem.Decode([]byte(caPEM))
	if block == nil {
		t.Fatalf("the installed CA is not PEM: %q", caPEM)
	}
	sum := sha256.Sum256(block.Bytes)
	if want := strings.ToUpper(strings.Join(hexPairs(sum[:]), ":")); printed[1] != want {
		t.Errorf("printed fingerprint %s, the CA's is %s", printed[1], want)
	}
	c := newClient(t, caPEM, port)
	if code := c.get("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz over HTTPS with the installed CA: %d", code)
	}

	// A populated store and a running session.
	r.must("simphony-remote", "db", "--config", "/etc/simphony-remote/simphony-remote.toml", "user", "create", "bob")
	r.must("simphony-remote", "db", "--config", "/etc/simphony-remote/simphony-remote.toml", "app", "create", "simphony-remote/files:latest")
	mapping := strings.TrimSpace(r.must("simphony-remote", "db", "--config", "/etc/simphony-remote/simphony-remote.toml", "app", "grant", "simphony-remote/files:latest", "admin", "--allow-home"))
	c.signIn("admin", password[1])
	urlID := c.start(mapping)
	installation = sessionInstallation(t, urlID)
	if code := c.get("/api/v1/containers/" + urlID); code != http.StatusOK {
		t.Fatalf("the session before the upgrade: %d", code)
	}

	// The upgrade: a newer package over the running one.
	out = r.must(append(opts, "--packages", "/new")...)
	t.Logf("install.sh (upgrade):\n%s", out)
	if strings.Contains(out, "administrator: admin, password:") || !strings.Contains(out, "administrator: unchanged") {
		t.Errorf("the upgrade changed the administrator's password:\n%s", out)
	}
	if v := r.must("dpkg-query", "-W", "-f", "${Version}", "simphony-remote"); v != "0.0.2" {
		t.Errorf("after the upgrade, version %q", v)
	}
	if users := r.must("simphony-remote", "db", "--config", "/etc/simphony-remote/simphony-remote.toml", "user", "list", "--no-decoration"); !strings.Contains(users, "bob") {
		t.Errorf("bob did not survive the upgrade: %q", users)
	}
	c = newClient(t, caPEM, port)
	if code := c.get("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz after the upgrade: %d", code)
	}
	c.signIn("admin", password[1])
	if code := c.get("/api/v1/containers/" + urlID); code != http.StatusOK {
		t.Errorf("the session after the upgrade: %d", code)
	}
	c.stop(urlID)

	// Uninstall keeps the data; purge removes it.
	r.must("/install.sh", "--no-systemd", "--uninstall")
	if _, err := r.exec("test", "-e", "/usr/bin/simphony-remote"); err == nil {
		t.Error("--uninstall left the binary")
	}
	if _, err := r.exec("test", "-e", data+"/simphony-remote.db"); err != nil {
		t.Error("--uninstall removed the database")
	}
	r.must("/install.sh", "--no-systemd", "--uninstall", "--purge")
	for _, gone := range []string{data + "/simphony-remote.db", "/etc/simphony-remote", "/var/lib/simphony-remote"} {
		if _, err := r.exec("test", "-e", gone); err == nil {
			t.Errorf("--purge left %s", gone)
		}
	}
}

func hexPairs(b []byte) []string {
	out := make([]string, len(b))
	for i, x := range b {
		out[i] = fmt.Sprintf("%02x", x)
	}
	return out
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// client is a browser of the installed appliance, at https://localhost:PORT
// (dialled on 127.0.0.1), trusting only the installed CA.
type client struct {
	t    *testing.T
	hc   *http.Client
	base string
	csrf string
}

func newClient(t *testing.T, caPEM string, port int) *client {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caPEM)) {
		t.Fatal("the installed CA does not parse")
	}
	jar, _ := cookiejar.New(nil)
	var d net.Dialer
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool},
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				_, p, _ := net.SplitHostPort(addr)
				return d.DialContext(ctx, network, "127.0.0.1:"+p)
			}}}
	return &client{t: t, hc: hc, base: fmt.Sprintf("https://localhost:%d", port)}
}

func (c *client) do(method, path string, body []byte, hdr http.Header) (*http.Response, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	var resp *http.Response
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if resp, err = c.hc.Do(req); err == nil || time.Now().After(deadline) {
			break
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp, buf.Bytes()
}

func (c *client) get(path string) int {
	c.t.Helper()
	resp, _ := c.do("GET", path, nil, nil)
	return resp.StatusCode
}

// signIn signs in with the form, and keeps the CSRF token for the API.
func (c *client) signIn(user, password string) {
	c.t.Helper()
	form := url.Values{"username": {user}, "password": {password}, "next": {"/"}}
	resp, body := c.do("POST", "/login", []byte(form.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {c.base}})
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("signing in as %s with the printed password: %d\n%s", user, resp.StatusCode, body)
	}
	resp, body = c.do("GET", "/api/v1/me", nil, http.Header{"Accept": {"application/json"}})
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal(body, &me); err != nil || me.CSRF == "" || resp.StatusCode != http.StatusOK {
		c.t.Fatalf("/api/v1/me: %d %v %s", resp.StatusCode, err, body)
	}
	c.csrf = me.CSRF
}

// start starts the session of mapping and returns its url id.
func (c *client) start(mapping string) string {
	c.t.Helper()
	resp, body := c.do("POST", "/api/v1/containers", []byte(`{"mapping_id":"`+mapping+`"}`), http.Header{"Content-Type": {"application/json"}})
	var got struct {
		URLID string `json:"url_id"`
	}
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != http.StatusCreated || got.URLID == "" {
		c.t.Fatalf("starting %s: %d %v %s", mapping, resp.StatusCode, err, body)
	}
	return got.URLID
}

func (c *client) stop(urlID string) {
	c.t.Helper()
	if resp, body := c.do("DELETE", "/api/v1/containers/"+urlID, nil, nil); resp.StatusCode != http.StatusNoContent {
		c.t.Errorf("stopping %s: %d %s", urlID, resp.StatusCode, body)
	}
}

// sessionInstallation is the installation id on the session's container.
func sessionInstallation(t *testing.T, urlID string) string {
	t.Helper()
	id := strings.TrimSpace(sh(t, "docker", "ps", "-q", "--filter", "label=eu.simphony-project.docker.runinfo.url_id="+urlID))
	if id == "" {
		t.Fatalf("no container of the session %s", urlID)
	}
	return strings.TrimSpace(sh(t, "docker", "inspect", "-f", `{{index .Config.Labels "eu.simphony-project.docker.runinfo.installation"}}`, id))
}

// packageBinaries builds the server and the starter as make build does,
// into a temporary directory, with a stand-in for the desktop console
// (the console's own tests build the real one; no desktop here installs it).
func packageBinaries(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	for _, b := range []struct{ out, pkg, cgo string }{
		{"simphony-remote", "..", "1"},
		{"simphony-remote-starter", "../installer/images/starter", "0"},
	} {
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(bin, b.out), b.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+b.cgo)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", b.out, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(bin, "simphony-remote-console"), []byte("#!/bin/sh\necho 'a stand-in'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// buildPackages builds the packages of the git-describe version describe
// from the binaries in bin into dir, as make package does.
func buildPackages(t *testing.T, bin, describe, dir string) {
	t.Helper()
	src, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "./installer/package", "-version", describe, "-out", dir, "-src", src, "-bin", bin)
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make package (%s): %v\n%s", describe, err, out)
	}
}
