package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// startCHP starts CHP, which every run needs, the smoke run included.
func (r *rig) startCHP(ctx context.Context) error {
	dir := r.chpDir()
	bin := filepath.Join(dir, "node_modules", ".bin", "configurable-http-proxy")
	if _, err := os.Stat(bin); err != nil {
		return errors.New("configurable-http-proxy is not installed (make testdeps installs it with npm ci --prefix engine/bench/chp)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		return errors.New("node is needed to run configurable-http-proxy")
	}
	c := &chp{token: randomHex(16), http: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
	var err error
	if c.addr, err = freeAddr(); err != nil {
		return err
	}
	apiAddr, err := freeAddr()
	if err != nil {
		return err
	}
	c.api = "http://" + apiAddr + "/api/routes"
	host, port, _ := strings.Cut(c.addr, ":")
	apiHost, apiPort, _ := strings.Cut(apiAddr, ":")
	cmd := exec.Command(bin, "--ip", host, "--port", port, "--api-ip", apiHost, "--api-port", apiPort, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "CONFIGPROXY_AUTH_TOKEN="+c.token)
	if c.proc, err = startProcess(ctx, "chp", r.dir, cmd, nil, 0); err != nil {
		return err
	}
	r.chp = c
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
			return nil
		} else if time.Now().After(deadline) || !c.proc.Alive() {
			return fmt.Errorf("configurable-http-proxy did not start: %v%s", err, c.proc.tail())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
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
