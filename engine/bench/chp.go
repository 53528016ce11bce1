package main

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
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// chp is configurable-http-proxy, JupyterHub's proxy, which simphony-remote
// 1.0 ran in front of every session: started from engine/bench/chp's
// node_modules (npm ci), proxying on one loopback port, its REST API on
// another, behind a token.
type chp struct {
	proc    *process
	addr    string // the proxy
	api     string // the REST API's base URL
	token   string
	version string
	http    *http.Client
}

// chpDir holds package.json and package-lock.json pinning CHP.
func (r *rig) chpDir() string { return filepath.Join(r.root, "engine", "bench", "chp") }

// startCHP starts CHP, which every run needs, the smoke run included,
// with the route to the backend that the appliance has too. With useTLS it
// serves HTTPS (--ssl-key, --ssl-cert) with a certificate for 127.0.0.1
// that the harness makes once and its clients trust (r.chpCA).
func (r *rig) startCHP(ctx context.Context, name string, useTLS bool) (*chp, error) {
	dir := r.chpDir()
	bin := filepath.Join(dir, "node_modules", ".bin", "configurable-http-proxy")
	if _, err := os.Stat(bin); err != nil {
		return nil, errors.New("configurable-http-proxy is not installed (make testdeps installs it with npm ci --prefix engine/bench/chp)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		return nil, errors.New("node is needed to run configurable-http-proxy")
	}
	c := &chp{token: randomHex(16), http: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
	var err error
	if c.addr, err = freeAddr(); err != nil {
		return nil, err
	}
	apiAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	c.api = "http://" + apiAddr + "/api/routes"
	host, port, _ := strings.Cut(c.addr, ":")
	apiHost, apiPort, _ := strings.Cut(apiAddr, ":")
	args := []string{"--ip", host, "--port", port, "--api-ip", apiHost, "--api-port", apiPort, "--log-level", "warn"}
	if useTLS {
		key, cert, err := r.chpCert()
		if err != nil {
			return nil, err
		}
		args = append(args, "--ssl-key", key, "--ssl-cert", cert)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "CONFIGPROXY_AUTH_TOKEN="+c.token)
	r.pin(cmd, true)
	if c.proc, err = startProcess(ctx, name, r.dir, cmd, nil, 0); err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(filepath.Join(dir, "node_modules", "configurable-http-proxy", "package.json")); err == nil {
		var pkg struct{ Version string }
		if json.Unmarshal(b, &pkg) == nil {
			c.version = pkg.Version
		}
	}
	// Wait for its API.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := c.routes(ctx); err == nil {
			break
		} else if time.Now().After(deadline) || !c.proc.Alive() {
			c.proc.Stop()
			return nil, fmt.Errorf("configurable-http-proxy (%s) did not start: %v%s", name, err, c.proc.tail())
		}
		select {
		case <-ctx.Done():
			c.proc.Stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := c.addRoute(ctx, routePath(r.app.routeID), "http://"+r.backendAddr); err != nil {
		c.proc.Stop()
		return nil, err
	}
	return c, nil
}

// chpCert makes (once) a key and a self-signed certificate for 127.0.0.1
// in the run's directory, for CHP-TLS, and adds it to r.chpCA.
func (r *rig) chpCert() (keyPath, certPath string, err error) {
	keyPath, certPath = filepath.Join(r.dir, "chp-key.pem"), filepath.Join(r.dir, "chp-cert.pem")
	if r.chpCA != nil {
		return keyPath, certPath, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", fmt.Errorf("making CHP-TLS's certificate: %w", err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", "", err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", "", err
	}
	r.chpCA = x509.NewCertPool()
	r.chpCA.AddCert(cert)
	return keyPath, certPath, nil
}

// chpTLSConfig trusts CHP-TLS's certificate.
func (r *rig) chpTLSConfig() *tls.Config {
	return &tls.Config{RootCAs: r.chpCA, ServerName: "127.0.0.1"}
}

func (c *chp) do(ctx context.Context, method, path, body string, want int) ([]byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.api+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "token "+c.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("CHP %s %s: %s: %s", method, path, resp.Status, out)
	}
	return out, nil
}

// routes lists CHP's routes.
func (c *chp) routes(ctx context.Context) (map[string]any, error) {
	b, err := c.do(ctx, http.MethodGet, "", "", http.StatusOK)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// addRoute adds a route through CHP's REST API, as JupyterHub does when a
// server starts.
func (c *chp) addRoute(ctx context.Context, path, target string) error {
	_, err := c.do(ctx, http.MethodPost, path, fmt.Sprintf(`{"target":%q}`, target), http.StatusCreated)
	return err
}

// deleteRoute removes a route through CHP's REST API.
func (c *chp) deleteRoute(ctx context.Context, path string) error {
	_, err := c.do(ctx, http.MethodDelete, path, "", http.StatusNoContent)
	return err
}
