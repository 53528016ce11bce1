package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	// The other Caddy's Caddyfile and its reverse_proxy: the appliance
	// itself has neither.
	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
	"github.com/coder/websocket"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/images"
)

// The snippets of README's "Put it behind another reverse proxy", with
// the placeholders a reader replaces.
const (
	snippetHost   = "remote.example.org"
	snippetListen = "127.0.0.1:8443"
	snippetCert   = "/etc/ssl/remote.example.org/fullchain.pem"
	snippetKey    = "/etc/ssl/remote.example.org/privkey.pem"
	snippetCA     = "/var/lib/simphony-remote/caddy/pki/authorities/local/root.crt"
	// proxyHost is the name the browser reaches the other proxy by.
	proxyHost = "remote.localhost"
	// caddyChildEnv runs this test binary as the other Caddy (Caddy is a
	// singleton per process, and the appliance's own runs in this one).
	caddyChildEnv = "SIMPHONY_REMOTE_TEST_CADDY_CHILD"
)

// The Caddy child mode: load the Caddyfile named by caddyChildEnv and
// serve until killed. In init, not TestMain, so that no other TestMain of
// this package has to know about it.
func init() {
	path := os.Getenv(caddyChildEnv)
	if path == "" {
		return
	}
	if err := runCaddyfile(path); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	select {}
}

func runCaddyfile(path string) error {
	body, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	adapter := caddyconfig.GetAdapter("caddyfile")
	if adapter == nil {
		return fmt.Errorf("no caddyfile adapter")
	}
	cfg, warnings, err := adapter.Adapt(body, map[string]any{"filename": path})
	if err != nil {
		return fmt.Errorf("adapting %s: %w", path, err)
	}
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, "warning:", w.String())
	}
	return caddy.Load(cfg, true)
}

// TestBehindNginx and TestBehindCaddy run README's snippets for real,
// with the appliance in subdomain mode behind them: /healthz, a sign-in
// with the form whose cookies survive, a session opened on its own origin,
// a WebSocket to it that echoes, and an upload larger than nginx's
// default limit.
func TestBehindNginx(t *testing.T) {
	nginx := requireNginx(t)
	s, files := proxiedSetup(t)
	cert, key, pool := outerCertificate(t)
	port := appliancetest.FreePort(t)
	dir := t.TempDir()
	site := templateSnippet(t, "nginx.conf", s, cert, key)
	site = replaceInSnippet(t, site, "listen 443 ssl;", fmt.Sprintf("listen 127.0.0.1:%d ssl;", port))
	siteFile := filepath.Join(dir, "simphony-remote.conf")
	writeProxyFile(t, siteFile, site)
	// nginx of its own: one foreground process, everything in dir.
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events {}
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[2]s;
}
`, dir, siteFile)
	writeProxyFile(t, filepath.Join(dir, "nginx.conf"), conf)
	startProxy(t, exec.Command(nginx, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", filepath.Join(dir, "nginx.conf")), filepath.Join(dir, "error.log"))
	throughProxy(t, s, files, port, pool)
}

func TestBehindCaddy(t *testing.T) {
	s, files := proxiedSetup(t)
	cert, key, pool := outerCertificate(t)
	port := appliancetest.FreePort(t)
	dir := t.TempDir()
	site := templateSnippet(t, "Caddyfile", s, cert, key)
	// Caddy of its own: on loopback, on free ports, its state in dir.
	global := fmt.Sprintf(`{
	admin off
	persist_config off
	storage file_system %[1]s/storage
	skip_install_trust
	auto_https disable_redirects
	default_bind 127.0.0.1
	https_port %[2]d
	http_port %[3]d
}
`, dir, port, appliancetest.FreePort(t))
	caddyfile := filepath.Join(dir, "Caddyfile")
	writeProxyFile(t, caddyfile, global+site)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), caddyChildEnv+"="+caddyfile, "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir)
	startProxy(t, cmd, filepath.Join(dir, "caddy.log"))
	throughProxy(t, s, files, port, pool)
}

// requireNginx finds Debian's nginx; without it the test fails under
// CI=true and skips loudly elsewhere.
func requireNginx(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"nginx", "/usr/sbin/nginx"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := "this test needs Debian's nginx (make testdeps installs it)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED: " + msg)
	return ""
}

// proxiedSetup is the appliance behind the other proxy: named proxyHost
// (so in subdomain mode), with alice, the test application and the files
// starter image (whose mapping it returns), for uploads.
func proxiedSetup(t *testing.T) (*setup, string) {
	t.Helper()
	requireStarters(t)
	s := newSetup(t, appliancetest.WithConfig(func(c *config.Config) {
		// 127.0.0.1 too, for clients that send no name (the harness).
		c.TLS.Hostnames = []string{proxyHost, "127.0.0.1"}
	}))
	if got := s.Config.Origins(); got != config.OriginsSubdomain {
		t.Fatalf("origins with the name %s: %s, want subdomain", proxyHost, got)
	}
	store := s.App.Store()
	if err := store.CreateApplication(t.Context(), accounting.Application{Image: images.Files}); err != nil {
		t.Fatal(err)
	}
	files, err := store.Grant(t.Context(), "alice", images.Files, accounting.Policy{AllowHome: true})
	if err != nil {
		t.Fatal(err)
	}
	return s, files
}

// templateSnippet reads a snippet of docs/reverse-proxy and fills in its
// placeholders for this appliance; each must be there.
func templateSnippet(t *testing.T, name string, s *setup, cert, key string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "reverse-proxy", name))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, r := range [][2]string{
		{snippetCert, cert},
		{snippetKey, key},
		{snippetCA, filepath.Join(s.Config.DataDir, "caddy", "pki", "authorities", "local", "root.crt")},
		{snippetListen, s.Config.Listen},
		{snippetHost, proxyHost},
	} {
		if !strings.Contains(text, r[0]) {
			t.Fatalf("%s does not say %q", name, r[0])
		}
		text = strings.ReplaceAll(text, r[0], r[1])
	}
	return text
}

func replaceInSnippet(t *testing.T, text, old, repl string) string {
	t.Helper()
	if strings.Count(text, old) != 1 {
		t.Fatalf("the snippet does not say %q once:\n%s", old, text)
	}
	return strings.Replace(text, old, repl, 1)
}

func writeProxyFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// outerCertificate makes the other proxy's certificate, for proxyHost
// and *.proxyHost, and returns its files and a pool that trusts it.
func outerCertificate(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: proxyHost},
		DNSNames:              []string{proxyHost, "*." + proxyHost},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "privkey.pem")
	writeProxyFile(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeProxyFile(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	pool = x509.NewCertPool()
	pool.AddCert(parsed)
	return certFile, keyFile, pool
}

// startProxy starts a proxy as a child process, whose output goes to
// logFile (shown when the test fails), and kills it when the test ends.
func startProxy(t *testing.T, cmd *exec.Cmd, logFile string) {
	t.Helper()
	out, err := os.OpenFile(logFile+".out", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	var waitErr error
	exited := make(chan struct{}) // closed once cmd has ended, with waitErr
	go func() { waitErr = cmd.Wait(); out.Close(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			for _, f := range []string{logFile, logFile + ".out"} {
				if b, err := os.ReadFile(f); err == nil && len(b) > 0 {
					t.Logf("%s:\n%s", f, b)
				}
			}
		}
	})
	select {
	case <-exited:
		b, _ := os.ReadFile(logFile + ".out")
		t.Fatalf("%s exited at once: %v\n%s", cmd.Path, waitErr, b)
	case <-time.After(100 * time.Millisecond):
	}
}

// throughProxy drives the appliance through the other proxy on port, as
// a browser reaching https://proxyHost:port would.
func throughProxy(t *testing.T, s *setup, files string, port int, pool *x509.CertPool) {
	t.Helper()
	portal := fmt.Sprintf("https://%s:%d", proxyHost, port)
	d := &net.Dialer{Timeout: 10 * time.Second}
	transport := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		// Every *.localhost name is this machine, as browsers have it.
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if host, p, err := net.SplitHostPort(addr); err == nil && (host == proxyHost || strings.HasSuffix(host, "."+proxyHost)) {
				addr = net.JoinHostPort("127.0.0.1", p)
			}
			return d.DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(transport.CloseIdleConnections)

	// The proxy answers once it has started.
	anon := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	var health string
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := anon.Get(portal + "/healthz")
		if err == nil {
			health = appliancetest.ReadBody(resp)
			if resp.StatusCode == http.StatusOK {
				break
			}
			err = fmt.Errorf("%s: %s", resp.Status, health)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /healthz through the proxy: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var status struct{ Status string }
	if err := json.Unmarshal([]byte(health), &status); err != nil || status.Status != "ok" {
		t.Fatalf("/healthz through the proxy: %q", health)
	}

	// Sign in with the form, as a browser on the proxy's address; the
	// appliance's cookies come back through it and keep alice signed in.
	behind := *s.Server
	behind.URL = portal
	alice := behind.NewBrowser()
	alice.Transport = transport
	resp := alice.PostForm("/login", url.Values{"username": {"alice"}, "password": {"password-alice"}, "next": {"/"}})
	if body := appliancetest.ReadBody(resp); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signing in through the proxy: %d %s", resp.StatusCode, body)
	}
	if cs := alice.Jar.Cookies(mustURL(t, portal)); len(cs) == 0 {
		t.Fatal("no cookie came back through the proxy")
	}
	alice.RefreshCSRF()
	if page := appliancetest.ReadBody(alice.Do("GET", "/", nil, nil)); !strings.Contains(page, "alice") {
		t.Fatalf("the portal through the proxy does not know alice:\n%s", page)
	}

	// A session, handed over to its own origin through the proxy: the
	// appliance's links carry the name and port the browser used.
	path := startSession(t, alice, s.aliceID)
	origin := openOnOrigin(t, alice, portal, port, path)

	// A WebSocket on the session's origin, through the proxy, echoes.
	hc := &http.Client{Transport: transport, Jar: alice.Jar}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	wsURL := "wss" + strings.TrimPrefix(origin, "https") + path + "ws"
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: hc, HTTPHeader: http.Header{"Origin": {origin}}})
	if err != nil {
		t.Fatalf("WebSocket through the proxy: %v", err)
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	for _, msg := range []string{"hello", strings.Repeat("x", 100_000)} {
		if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.Read(ctx)
		if err != nil || string(got) != msg {
			t.Fatalf("echo of %d bytes through the proxy: %d bytes, %v", len(msg), len(got), err)
		}
	}
	c.Close(websocket.StatusNormalClosure, "")

	// An upload of 3 MiB to the files application (nginx's default limit
	// is 1 MiB) arrives whole.
	path = startSession(t, alice, files)
	origin = openOnOrigin(t, alice, portal, port, path)
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	part, err := form.CreateFormFile("files", "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 3<<16)
	_, _ = part.Write(data)
	_ = form.Close()
	req, _ := http.NewRequest("POST", origin+path+"?op=upload", &body)
	req.Header.Set("Content-Type", form.FormDataContentType())
	req.Header.Set("Origin", origin)
	resp, err = alice.Client.Do(req)
	if err != nil {
		t.Fatalf("uploading through the proxy: %v", err)
	}
	if page := appliancetest.ReadBody(resp); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("uploading 3 MiB through the proxy: %d %s", resp.StatusCode, page)
	}
	got, err := os.ReadFile(filepath.Join(s.Config.DataDir, "homes", "alice", "big.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the upload through the proxy: %d of %d bytes, %v", len(got), len(data), err)
	}
}

// openOnOrigin opens session path from the portal, as a browser does:
// handed over to the session's own origin, whose URL it returns.
func openOnOrigin(t *testing.T, b *appliancetest.Browser, portal string, port int, path string) string {
	t.Helper()
	m := regexp.MustCompile(`/containers/([0-9a-f]{32})/$`).FindStringSubmatch(path)
	if m == nil {
		t.Fatalf("the session's path: %q", path)
	}
	origin := fmt.Sprintf("https://%s.%s:%d", m[1], proxyHost, port)
	u, opened := portal+path, false
	for range 4 {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Accept", "text/html")
		resp, err := b.Client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		body := appliancetest.ReadBody(resp)
		if resp.StatusCode == http.StatusOK {
			opened = true
			break
		}
		loc := resp.Header.Get("Location")
		if resp.StatusCode/100 != 3 || loc == "" {
			t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
		}
		u = mustURL(t, u).ResolveReference(mustURL(t, loc)).String()
	}
	if !opened || !strings.HasPrefix(u, origin+"/") {
		t.Fatalf("the session was not opened on its origin %s through the proxy, but at %s", origin, u)
	}
	return origin
}

// TestReverseProxySnippetsInREADME: README shows the snippets the tests
// above run, as they are.
func TestReverseProxySnippetsInREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"nginx.conf", "Caddyfile"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "docs", "reverse-proxy", name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), "docs/reverse-proxy/"+name) {
			t.Errorf("README does not name docs/reverse-proxy/%s", name)
		}
		if !strings.Contains(string(readme), "\n"+string(b)+"```\n") {
			t.Errorf("README does not show docs/reverse-proxy/%s as it is", name)
		}
	}
}
