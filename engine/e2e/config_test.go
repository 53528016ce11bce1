package e2e

import (
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
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/appliance"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/config"
)

func TestDockerDownAtStart(t *testing.T) {
	s := appliancetest.StartUnready(t, appliancetest.WithConfig(func(c *config.Config) {
		c.Docker.Host = "unix:///nonexistent/docker.sock"
		c.Docker.NetworkTimeout = config.Duration(2 * time.Second)
	}))
	// Sign-in still works.
	admin := s.Login("admin", s.AdminPassword)
	resp := admin.Do("GET", "/healthz", nil, nil)
	var health struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || health.Status != "degraded" || !strings.Contains(health.Checks["docker"], "unreachable") {
		t.Fatalf("healthz with Docker away: %d %+v", resp.StatusCode, health)
	}
}

func TestSecondServeOnOneDataDir(t *testing.T) {
	s := appliancetest.Start(t)
	cfg := s.Config
	cfg.Listen = fmt.Sprintf("127.0.0.1:%d", appliancetest.FreePort(t))
	err := appliance.Run(t.Context(), cfg, zerolog.Nop(), appliance.Options{})
	if err == nil || !strings.Contains(err.Error(), "another simphony-remote already runs on "+s.Config.DataDir) {
		t.Fatalf("a second serve on the same data: %v", err)
	}
}

func TestHTTPRedirect(t *testing.T) {
	port := appliancetest.FreePort(t)
	s := appliancetest.Start(t, appliancetest.WithConfig(func(c *config.Config) {
		c.TLS.HTTPRedirect = fmt.Sprintf("127.0.0.1:%d", port)
	}))
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/user/x/?a=b", port))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, httpsPort, _ := net.SplitHostPort(s.Config.Listen)
	if want := "https://127.0.0.1:" + httpsPort + "/user/x/?a=b"; resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
		t.Fatalf("plain HTTP: %d to %q, want 308 to %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
}

func TestCertificateFiles(t *testing.T) {
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "lab.example.org"},
		DNSNames: []string{"lab.example.org"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)

	s := startWithoutLocalCA(t, func(c *config.Config) {
		c.TLS.Hostnames = []string{"lab.example.org"}
		c.TLS.CertFile, c.TLS.KeyFile = certFile, keyFile
	})
	conn, err := tls.Dial("tcp", strings.TrimPrefix(s, "https://"), &tls.Config{ServerName: "lab.example.org", InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if got := conn.ConnectionState().PeerCertificates[0].Raw; string(got) != string(der) {
		t.Error("the appliance does not serve the configured certificate")
	}
	// No local CA: nothing to download.
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := c.Get(s + "/ca.crt")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/ca.crt with a given certificate: %d, want 404", resp.StatusCode)
	}
}

// startWithoutLocalCA runs an appliance whose certificate does not come from
// its own CA (which the harness needs), and returns its URL.
func startWithoutLocalCA(t *testing.T, change func(*config.Config)) string {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = fmt.Sprintf("127.0.0.1:%d", appliancetest.FreePort(t))
	cfg.Log.Level = "debug"
	change(&cfg)
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- appliance.Run(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)), appliance.Options{OnReady: func(*appliance.Appliance) { close(ready) }})
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("the appliance did not start: %v", err)
	}
	return "https://" + cfg.Listen
}

func TestOpenMode(t *testing.T) {
	s := appliancetest.Start(t, appliancetest.WithConfig(func(c *config.Config) { c.Auth.Mode = "open" }))
	b := s.NewBrowser()
	page := appliancetest.ReadBody(b.Do("GET", "/login", nil, nil))
	if strings.Contains(page, `name="password"`) || !strings.Contains(page, "open") {
		t.Fatalf("open-mode sign-in page:\n%s", page)
	}
	resp := b.PostForm("/login", url.Values{"username": {"Visitor"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("open sign-in: %d", resp.StatusCode)
	}
	if _, err := s.App.Store().User(t.Context(), "visitor"); err != nil {
		t.Errorf("open mode did not record the user: %v", err)
	}
	if strings.Contains(s.Out.String(), "First administrator") {
		t.Error("open mode created an administrator")
	}
}
