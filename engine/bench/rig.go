package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/images"
	"github.com/simphony/simphony-remote/engine/protocol"
)

// benchLabel marks the containers the harness runs itself (raw Docker), so
// that the cleanup finds them.
const benchLabel = "org.simphony-remote.bench"

// benchUser owns the route to the backend.
const benchUser = "bench"

// rig is everything a run starts: the backend, the appliance, CHP, the
// Docker client and the browser; close stops and removes all of it.
type rig struct {
	opts  Options
	root  string // the module's root
	dir   string // the run's temporary directory
	runID string
	realm string

	docker *docker.Client

	backend     *process
	backendAddr string

	goproxy     *process // the reference: Go's httputil.ReverseProxy
	goproxyAddr string

	app *applianceChild // the appliance as serve runs it

	chp    *chp // plain HTTP
	chpTLS *chp // HTTPS, with a certificate the harness made
	chpCA  *x509.CertPool

	ticks int64 // clock ticks per second, for /proc/PID/stat

	clients map[string]*http.Client // by target: see target.client

	sessions *sessionUsers // made by the first sessions measurement
	browser  *browser      // started by the first first-pixel measurement
	console  *deskConsole  // built by the first console measurement
}

// applianceChild is a running appliance child with the bench user's API
// token and its route to the backend.
type applianceChild struct {
	proc   *process
	ready  applianceReady
	cfg    applianceConfig
	ctl    *controlClient
	caPool *x509.CertPool

	token   string // the bench user's API token
	routeID string // its route to the backend
}

// logf writes progress to the log.
func (r *rig) logf(format string, args ...any) {
	fmt.Fprintf(r.opts.Log, "bench: "+format+"\n", args...)
}

// newRig checks what the run needs and starts the processes.
func newRig(ctx context.Context, opts Options) (r *rig, err error) {
	r = &rig{opts: opts, runID: randomHex(4)}
	r.realm = "bench-" + r.runID
	defer func() {
		if err != nil {
			r.close()
			r = nil
		}
	}()
	if r.root, err = moduleRoot(); err != nil {
		return r, err
	}
	raiseFileLimit()
	if opts.Pinned {
		if err := pinSelf(); err != nil {
			return r, err
		}
	}
	if r.ticks, err = clockTicks(); err != nil {
		return r, err
	}
	if r.dir, err = os.MkdirTemp("", "simphony-remote-bench-"); err != nil {
		return r, err
	}
	if err := r.checkDocker(ctx); err != nil {
		return r, err
	}
	if _, err := exec.LookPath("chromium"); err != nil {
		return r, errors.New("chromium (Debian's package) is needed for the click-to-first-pixel measurement (make testdeps installs it)")
	}
	if err := r.startBackend(ctx); err != nil {
		return r, err
	}
	if err := r.startGoProxy(ctx); err != nil {
		return r, err
	}
	if r.app, err = r.startAppliance(ctx, "appliance", r.realm); err != nil {
		return r, err
	}
	if r.chp, err = r.startCHP(ctx, "chp", false); err != nil {
		return r, err
	}
	if r.chpTLS, err = r.startCHP(ctx, "chp-tls", true); err != nil {
		return r, err
	}
	return r, nil
}

// checkDocker connects to Docker and checks that the starter images exist.
func (r *rig) checkDocker(ctx context.Context) error {
	c, err := docker.New(config.Default().Docker)
	if err == nil {
		err = c.Ping(ctx)
	}
	if err != nil {
		return fmt.Errorf("a running Docker Engine is needed (make docker starts one): %w", err)
	}
	r.docker = c
	for _, img := range []string{images.Files, images.Desktop} {
		if _, err := c.API().ImageInspect(ctx, img); err != nil {
			return fmt.Errorf("the starter image %s is needed (make images builds it): %w", img, err)
		}
	}
	return nil
}

func (r *rig) startBackend(ctx context.Context) error {
	cmd, err := selfCommand("backend", backendConfig{Listen: "127.0.0.1:0"})
	if err != nil {
		return err
	}
	r.pin(cmd, false)
	var ready backendReady
	if r.backend, err = startProcess(ctx, "backend", r.dir, cmd, &ready, 30*time.Second); err != nil {
		return err
	}
	r.backendAddr = ready.Addr
	return nil
}

// startAppliance starts an appliance child on a fresh data directory and
// gives it the bench user and its route to the backend.
func (r *rig) startAppliance(ctx context.Context, name, realm string) (*applianceChild, error) {
	data, err := os.MkdirTemp(r.dir, name+"-data-")
	if err != nil {
		return nil, err
	}
	cfg := applianceConfig{
		DataDir: data, Realm: realm, AdminPassword: "bench-admin-" + randomHex(8),
		DemoApps: []string{images.Desktop, images.Files},
	}
	for _, a := range []*string{&cfg.Listen, &cfg.PlainListen, &cfg.ControlListen} {
		if *a, err = freeAddr(); err != nil {
			return nil, err
		}
	}
	cmd, err := selfCommand("appliance", cfg)
	if err != nil {
		return nil, err
	}
	r.pin(cmd, true)
	a := &applianceChild{cfg: cfg}
	if a.proc, err = startProcess(ctx, name, r.dir, cmd, &a.ready, 90*time.Second); err != nil {
		return nil, err
	}
	a.ctl = &controlClient{base: "http://" + a.ready.Control, http: &http.Client{Timeout: 5 * time.Minute}}
	pemBytes, err := os.ReadFile(filepath.Join(data, "caddy", "pki", "authorities", "local", "root.crt"))
	if err != nil {
		a.proc.Stop()
		return nil, fmt.Errorf("reading the appliance's local CA: %w", err)
	}
	a.caPool = x509.NewCertPool()
	if !a.caPool.AppendCertsFromPEM(pemBytes) {
		a.proc.Stop()
		return nil, errors.New("the appliance's local CA is not PEM")
	}
	tokens, _, err := a.users(ctx, []string{benchUser}, "")
	if err == nil {
		a.token = tokens[0]
		var ans routesAnswer
		err = a.ctl.call(ctx, http.MethodPost, "/routes", routesRequest{N: 1, User: benchUser, Upstream: r.backendAddr}, &ans)
		a.routeID = ans.First
	}
	if err != nil {
		a.proc.Stop()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return a, nil
}

// httpsURL and plainURL are the appliance's two listeners.
func (a *applianceChild) httpsURL() string { return "https://" + a.ready.HTTPS }
func (a *applianceChild) plainURL() string { return "http://" + a.ready.Plain }

// tlsConfig trusts the appliance's local CA.
func (a *applianceChild) tlsConfig() *tls.Config {
	return &tls.Config{RootCAs: a.caPool, ServerName: "127.0.0.1"}
}

// apiClient is an HTTPS client for the appliance's API.
func (a *applianceChild) apiClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{TLSClientConfig: a.tlsConfig(), MaxIdleConnsPerHost: 64},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: 3 * time.Minute,
	}
}

// routePath is a session's path prefix (without the trailing slash, as CHP
// routes are written).
func routePath(urlID string) string {
	return strings.TrimSuffix(protocol.URLPath(benchUser, urlID), "/")
}

// users creates users on the appliance (granted image, when set), signs
// them in and makes each an API token through the API, as `app login`
// does. It returns the tokens and the mapping ids.
func (a *applianceChild) users(ctx context.Context, names []string, image string) (tokens, mappings []string, err error) {
	var ua usersAnswer
	if err := a.ctl.call(ctx, http.MethodPost, "/users", usersRequest{Names: names, Image: image}, &ua); err != nil {
		return nil, nil, err
	}
	var logins []login
	if err := a.ctl.call(ctx, http.MethodPost, "/logins", loginsRequest{Names: names}, &logins); err != nil {
		return nil, nil, err
	}
	client := a.apiClient()
	defer client.CloseIdleConnections()
	for _, l := range logins {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, a.httpsURL()+"/api/v1/tokens", strings.NewReader(`{"name":"bench"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", a.httpsURL())
		req.Header.Set("X-CSRF-Token", l.CSRF)
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: l.Secret})
		var tok wire.Token
		if err := doJSON(client, req, http.StatusCreated, &tok); err != nil {
			return nil, nil, fmt.Errorf("making a token for %s: %w", l.Name, err)
		}
		tokens = append(tokens, tok.Secret)
	}
	if err := a.ctl.call(ctx, http.MethodPost, "/logouts", loginsRequest{Names: names}, nil); err != nil {
		return nil, nil, err
	}
	return tokens, ua.Mappings, nil
}

// doJSON sends req and decodes the answer, which must have status want.
func doJSON(c *http.Client, req *http.Request, want int, into any) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, bytes.TrimSpace(body))
	}
	if into == nil {
		return nil
	}
	return json.Unmarshal(body, into)
}

// close stops everything and removes the run's containers and files. It
// runs on every way out, Ctrl-C included.
func (r *rig) close() {
	if r == nil {
		return
	}
	if r.browser != nil {
		r.browser.close()
	}
	r.console.close()
	for _, c := range []*chp{r.chp, r.chpTLS} {
		if c != nil {
			c.proc.Stop()
		}
	}
	for _, a := range []*applianceChild{r.app} {
		if a != nil {
			a.proc.Stop()
		}
	}
	for _, p := range []*process{r.goproxy, r.backend} {
		if p != nil {
			p.Stop()
		}
	}
	if r.docker != nil {
		r.removeContainers()
		_ = r.docker.Close()
	}
	if r.dir != "" {
		if err := os.RemoveAll(r.dir); err != nil {
			r.logf("removing %s: %v", r.dir, err)
		}
	}
}

// removeContainers removes every container of the run: the appliance's
// sessions (by realm) and the raw Docker ones (by label).
func (r *rig) removeContainers() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, f := range []filters.Args{
		filters.NewArgs(filters.Arg("label", protocol.LabelRealm+"="+r.realm)),
		filters.NewArgs(filters.Arg("label", benchLabel+"="+r.runID)),
	} {
		list, err := r.docker.API().ContainerList(ctx, container.ListOptions{All: true, Filters: f})
		if err != nil {
			r.logf("listing the run's containers: %v", err)
			continue
		}
		for _, c := range list {
			if err := r.docker.API().ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil {
				r.logf("removing container %s: %v", c.ID[:12], err)
			}
		}
	}
}

// moduleRoot finds the directory of go.mod, upwards from the working
// directory (the repository's root under make, engine/bench under go test).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/simphony/simphony-remote\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run bench from inside the simphony-remote repository")
		}
		dir = parent
	}
}

// fileLimit is the limit on open files the memory measurement needs: its
// 10,000 idle WebSockets hold two descriptors each in a proxy.
const fileLimit = 65536

// raiseFileLimit lifts the limit on open files to fileLimit (as root; the
// soft limit to the hard one otherwise), for this process and its
// children (CHP included: Node does not raise it).
func raiseFileLimit() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return
	}
	if l.Max < fileLimit {
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: fileLimit, Max: fileLimit}); err == nil {
			return
		}
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
