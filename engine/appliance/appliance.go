// Package appliance puts the engine together and runs it: the store, the
// container runtime and session manager, sign-in, the pages, the admin
// socket and the embedded Caddy. `simphony-remote serve` is Run.
package appliance

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/caddymodule"
	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/accounting/csvfile"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/adminweb"
	"github.com/simphony/simphony-remote/engine/api"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/history"
	"github.com/simphony/simphony-remote/engine/images"
	"github.com/simphony/simphony-remote/engine/logging"
	"github.com/simphony/simphony-remote/engine/portal"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/shares"
	"github.com/simphony/simphony-remote/engine/volumes"
	"github.com/simphony/simphony-remote/engine/web"
	"github.com/simphony/simphony-remote/engine/websockets"
)

// Files and directories inside the data dir.
const (
	SocketName = "admin.sock"
	HomesDir   = "homes"
	CaddyDir   = "caddy"
)

// shutdownGrace bounds the wait for requests in flight when stopping.
const shutdownGrace = 10 * time.Second

// Appliance is a running appliance's parts.
type Appliance struct {
	cfg  config.Config
	log  zerolog.Logger
	out  io.Writer
	data string // absolute data dir
	// started is when Run was called.
	started time.Time
	// caRoot reads the local CA's root certificate; nil when the local CA
	// is not in use.
	caRoot func() ([]byte, error)

	state    *boltdb.Store    // login sessions, and the accounting when bbolt
	accounts accounting.Store // bbolt (= state) or CSV
	docker   *docker.Client
	runtime  *docker.Runtime
	manager  *session.Manager
	volumes  *volumes.Checker
	logins   *auth.Logins
	tokens   *auth.Tokens
	shares   *shares.Shares
	portal   *portal.Service
	sockets  *websockets.Registry // the sessions' WebSockets
	audit    *audit.Log
	authn    *auth.Authenticator
	resolver *auth.Resolver
	origins  *auth.Origins
	links    *auth.SignInLinks
	web      *web.Handler
	api      http.Handler
	pages    http.Handler // the API and the pages: all but sessions
	metrics  *metrics
	caddy    caddymodule.Options
	history  *history.History
	admin    *admin.Local
}

// Options are what Run needs besides the configuration.
type Options struct {
	// Out receives what the operator must see once: the URL and a new
	// administrator's password. Never the log.
	Out io.Writer
	// AdminPassword, when set, is the first administrator's password
	// instead of a random one.
	AdminPassword string
	// OnReady, when set, is called once the appliance serves.
	OnReady func(*Appliance)
	// LogRing, when set, holds the recent lines of the log Run is given,
	// as JSON: the admin socket serves them (admin.Service.Log) to the
	// desktop console. The caller tees the log into it (logging.New).
	LogRing *logging.Ring

	// PlainListen is for make bench only (see caddymodule.Options); the
	// configuration cannot set it.
	PlainListen string
}

// Run runs the appliance until ctx ends, then shuts it down cleanly.
func Run(ctx context.Context, cfg config.Config, log zerolog.Logger, opts Options) error {
	a, err := open(ctx, cfg, log, opts)
	if err != nil {
		return err
	}
	defer a.close()
	return a.serve(ctx, opts)
}

func open(ctx context.Context, cfg config.Config, log zerolog.Logger, opts Options) (*Appliance, error) {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	data, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(data, 0o750); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	a := &Appliance{cfg: cfg, log: log, out: opts.Out, data: data, started: time.Now()}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()

	statePath := filepath.Join(data, config.DatabaseFile)
	if cfg.Accounting.Backend == "bbolt" && cfg.Accounting.Path != "" {
		statePath = cfg.Accounting.Path
	}
	a.state, err = boltdb.OpenOrCreate(statePath)
	if errors.Is(err, boltdb.ErrLocked) {
		return nil, fmt.Errorf("%w: another simphony-remote already runs on %s", err, data)
	}
	if err != nil {
		return nil, err
	}
	a.accounts = a.state
	if cfg.Accounting.Backend == "csv" {
		if a.accounts, err = csvfile.Open(cfg.Accounting.Path); err != nil {
			return nil, err
		}
	}

	open := cfg.Auth.Mode == "open"
	if open {
		log.Warn().Msg("OPEN MODE: anybody can sign in as any user, without a password; for demonstrations only. Nobody is an administrator on the web in this mode.")
	} else if err := a.ensureAdmin(ctx, opts.AdminPassword); err != nil {
		return nil, err
	}

	if a.docker, err = docker.New(cfg.Docker); err != nil {
		return nil, err
	}
	installation, err := a.state.InstallationID()
	if err != nil {
		return nil, err
	}
	a.runtime = docker.NewRuntime(a.docker, cfg.Realm)
	a.volumes = volumes.FromConfig(&cfg)
	for _, err := range a.volumes.CheckRoots() {
		log.Warn().Err(err).Msg("volumes under this root cannot be granted or started until it is fixed")
	}
	a.manager = session.New(a.accounts, a.runtime, routes.New(), session.Options{
		Realm: cfg.Realm, Installation: installation, Base: ctx, HomesDir: filepath.Join(data, HomesDir),
		UIDs:            cfg.Sessions.UIDRange,
		StartTimeout:    cfg.Sessions.StartTimeout.D(),
		Limits:          accounting.Limits{Memory: int64(cfg.Sessions.Memory), CPUs: cfg.Sessions.CPUs, Pids: cfg.Sessions.Pids},
		NoNewPrivileges: cfg.Sessions.NoNewPrivileges,
		Volumes:         a.volumes,
		Log:             log.With().Str("component", "sessions").Logger(),
	})

	if a.logins, err = auth.NewLogins(ctx, a.state, cfg.Auth.SessionIdle.D(), cfg.Auth.SessionMax.D(), nil); err != nil {
		return nil, err
	}
	if a.tokens, err = auth.NewTokens(ctx, a.state, nil); err != nil {
		return nil, err
	}
	a.sockets = newSockets(cfg.WebSockets, log)
	a.logins.OnRevoke(func(idHash string) {
		a.sockets.CloseCredential(websockets.LoginCredential(idHash), websockets.SignedOut)
	})
	a.tokens.OnRevoke(func(id string) {
		a.sockets.CloseCredential(websockets.TokenCredential(id), websockets.TokenDeleted)
	})
	if a.shares, err = shares.New(ctx, a.state, func(urlID, user string) { a.sockets.CloseShare(urlID, user) }, nil); err != nil {
		return nil, err
	}
	a.audit = audit.NewLog(a.state, log.With().Str("component", "audit").Logger())
	a.authn = auth.NewAuthenticator(a.accounts, open, cfg.Auth.Admins, nil)
	isAdmin := a.authn.IsAdmin
	if open {
		isAdmin = func(accounting.User) bool { return false }
	}
	a.resolver = &auth.Resolver{Logins: a.logins, Tokens: a.tokens, Users: a.accounts, IsAdmin: isAdmin}
	a.origins = auth.NewOrigins(a.resolver, nil)
	a.links = auth.NewSignInLinks(a.accounts, nil)
	a.metrics = newMetrics(a.manager.Routes(), a.logins, a.sockets)
	a.history = history.New(nil)
	a.admin = a.newAdmin(cfg, data, opts.LogRing)

	a.caddy = caddymodule.Options{
		Listen: cfg.Listen, StorageDir: filepath.Join(data, CaddyDir),
		Hostnames: cfg.TLS.Hostnames, Email: cfg.TLS.Email, CertFile: cfg.TLS.CertFile, KeyFile: cfg.TLS.KeyFile,
		HTTPRedirect: cfg.TLS.HTTPRedirect, LogLevel: cfg.Log.Level, GracePeriod: shutdownGrace,
		PlainListen: opts.PlainListen,
	}
	if cfg.Origins() == config.OriginsSubdomain {
		a.caddy.SessionHost = cfg.PublicHost()
	} else {
		log.Warn().Str("host", cfg.PublicHost()).Msg(web.PathOriginsWarning)
	}
	if a.caddy.UsesLocalCA() {
		a.caRoot = func() ([]byte, error) { return os.ReadFile(a.caddy.CARootFile()) }
	}
	a.portal = portal.New(portal.Deps{
		Accounts: a.accounts, Sessions: a.manager, Image: a.runtime.Image, Shares: a.shares,
		Tokens: a.tokens, Logins: a.logins, Audit: a.audit, Authenticator: a.authn,
	})
	a.web, err = web.New(web.Deps{
		Authenticator: a.authn, Logins: a.logins, Resolver: a.resolver, SignInLinks: a.links, Portal: a.portal,
		Health: a, Metrics: a.metrics.handler(), MetricsToken: cfg.Metrics.Token, CARoot: a.caRoot, Open: open, Audit: a.audit,
		OriginsWarning: originsWarning(cfg), SessionHost: a.caddy.SessionHost,
		Log: log.With().Str("component", "web").Logger(),
	})
	if err != nil {
		return nil, err
	}
	apiLog := log.With().Str("component", "api").Logger()
	a.api = api.NewHandler(api.UserDeps{
		Resolver: a.resolver, Portal: a.portal, Sessions: a.manager, Image: a.runtime.Image,
		Audit: a.audit, Admin: a.adminHandler(apiLog), Log: apiLog,
		AdminService: a.Admin(), Realm: a.cfg.Realm,
	})
	pages := http.NewServeMux()
	pages.Handle(api.Prefix+"/", a.api)
	pages.Handle("/user/{name}/api/v1/", a.api)
	pages.Handle("/", a.web)
	adminPages, err := adminweb.New(adminweb.Deps{
		Service: a.Admin(), Authorize: a.authorizeAdmin, Refuse: a.web.Refuse, Headers: web.SecurityHeaders,
		Warning: originsWarning(cfg), Log: log.With().Str("component", "adminweb").Logger(),
	})
	if err != nil {
		return nil, err
	}
	pages.Handle(adminweb.Prefix, adminPages)
	a.pages = pages
	ok = true
	return a, nil
}

// originsWarning is what administrators are told on every page about the
// origins sessions run on: nothing in subdomain mode.
func originsWarning(cfg config.Config) string {
	if cfg.Origins() == config.OriginsSubdomain {
		return ""
	}
	return web.PathOriginsWarning
}

// authorizeAdmin lets the administrators signed in with a browser see the
// admin pages, as themselves, from their address.
func (a *Appliance) authorizeAdmin(r *http.Request) (audit.Actor, string, bool) {
	id, ok := a.resolver.Identify(r)
	if !ok || !id.Admin || id.Via != auth.ViaCookie || id.Login.CSRF == "" {
		return audit.Actor{}, "", false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return audit.Actor{Name: id.User, Address: host}, id.Login.CSRF, true
}

// adminHandler is the whole admin API, for the admin socket and for
// administrators over HTTPS.
func (a *Appliance) adminHandler(log zerolog.Logger) http.Handler {
	return api.NewAdminHandler(api.AdminDeps{Service: a.Admin(), Log: log})
}

// ensureAdmin creates the first administrator, "admin", when the database
// has none, and prints its password once to the operator.
func (a *Appliance) ensureAdmin(ctx context.Context, password string) error {
	users, err := a.accounts.Users(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Admin {
			return nil
		}
	}
	if len(a.cfg.Auth.Admins) > 0 {
		return nil
	}
	if _, err := a.accounts.User(ctx, "admin"); err == nil {
		a.log.Warn().Msg("there is no administrator: make one with 'simphony-remote db user create NAME --admin --password-stdin'")
		return nil
	}
	generated := password == ""
	if generated {
		password = auth.RandomPassword()
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return fmt.Errorf("the first administrator's password (%s): %w", config.EnvAdminPassword, err)
	}
	err = a.accounts.CreateUser(ctx, accounting.User{Name: "admin", Admin: true, PasswordHash: hash})
	if errors.Is(err, accounting.ErrReadOnly) {
		a.log.Warn().Msg("the accounting backend is read-only and has no administrator: list administrators in [auth] admins")
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating the first administrator: %w", err)
	}
	a.log.Info().Str("user", "admin").Msg("created the first administrator")
	for _, img := range a.cfg.DemoApplications {
		err := a.accounts.CreateApplication(ctx, accounting.Application{Image: img})
		if err != nil && !errors.Is(err, accounting.ErrExists) {
			return fmt.Errorf("registering the demo application %s: %w", img, err)
		}
		if _, err := a.accounts.Grant(ctx, "admin", img, accounting.Policy{AllowHome: true, AllowView: true}); err != nil {
			return fmt.Errorf("granting the demo application %s: %w", img, err)
		}
		a.log.Info().Str("image", img).Str("user", "admin").Msg("granted a demo application")
	}
	if generated {
		fmt.Fprintf(a.out, "\nFirst administrator: user admin, password %s\n(shown only this once; change it with: simphony-remote db user set-password admin)\n\n", password)
	} else {
		fmt.Fprintf(a.out, "\nFirst administrator: user admin, with the password from %s\n\n", config.EnvAdminPassword)
	}
	return nil
}

// pruneCertificates removes the certificates of the origins of sessions
// that no longer run.
func (a *Appliance) pruneCertificates() {
	routes := a.manager.Routes()
	n, err := caddymodule.PruneCertificates(a.caddy.StorageDir, a.caddy.SessionHost, func(urlID string) bool {
		_, ok := routes.Get(urlID)
		return ok
	})
	if err != nil {
		a.log.Warn().Err(err).Msg("removing the certificates of ended sessions")
	}
	if n > 0 {
		a.log.Debug().Int("removed", n).Msg("removed the certificates of ended sessions")
	}
}

// serve starts the background work, the admin socket and Caddy, and waits
// for ctx to end.
// initialReconcile bounds the reconcile before serving.
const initialReconcile = 10 * time.Second

func (a *Appliance) serve(ctx context.Context, opts Options) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// On every return, a failure to start included, the background work
	// ends before Run closes the store and the Docker client.
	defer func() { cancel(); wg.Wait() }()
	goRun := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				a.log.Error().Err(err).Str("component", name).Msg("stopped")
			}
		}()
	}
	// Each follower of session events has its own subscription, so that
	// a slow one makes only itself miss events.
	follow := func(name string, handle func(session.Event)) {
		events, unsubscribe := a.manager.Subscribe()
		goRun(name, func(ctx context.Context) error {
			defer unsubscribe()
			session.Each(ctx, events, handle)
			return nil
		})
	}
	follow("metrics", a.metrics.observe)
	follow("pages", a.web.Observe)
	follow("shares", func(e session.Event) { a.dropShares(ctx, e) })
	follow("websockets", func(e session.Event) {
		if e.Kind == session.EventStopped && e.URLID != "" {
			a.sockets.CloseSession(e.URLID, websockets.SessionEnded)
		}
	})
	if a.caddy.SessionHost != "" {
		follow("certificates", func(e session.Event) {
			if e.Kind == session.EventStopped {
				a.pruneCertificates()
			}
		})
	}
	// Find the running sessions again before serving, so that the first
	// requests after a restart see them (bounded: Docker may be away; Run
	// reconciles again whenever it reaches Docker).
	rctx, rcancel := context.WithTimeout(ctx, initialReconcile)
	if err := a.manager.Reconcile(rctx); err != nil {
		a.log.Warn().Err(err).Msg("could not find the running sessions before serving; retrying in the background")
	} else if a.caddy.SessionHost != "" {
		a.pruneCertificates() // of sessions that ended while the appliance was down
	}
	rcancel()
	// The history of the last day from the audit log, then from events.
	if err := a.history.Rebuild(ctx, a.state, a.manager.Routes().Len()); err != nil {
		a.log.Warn().Err(err).Msg("the admin dashboard's history starts empty")
	}
	follow("history", func(e session.Event) { a.history.Observe(e, a.manager.Routes().Len()) })
	goRun("sessions", a.manager.Run)
	goRun("logins", a.logins.Run)
	goRun("tokens", a.tokens.Run)

	sock, err := a.listenSocket()
	if err != nil {
		return err
	}
	// The socket's requests use the store and Docker: the server stops
	// within goRun, and waits for its handlers, even those it had to cut.
	var requests session.Inflight
	adminAPI := audit.SocketActor(a.adminHandler(a.log.With().Str("component", "admin socket").Logger()))
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !requests.Begin() {
				http.Error(w, "the appliance is shutting down", http.StatusServiceUnavailable)
				return
			}
			defer requests.End()
			adminAPI.ServeHTTP(w, r)
		}),
		ConnContext:       audit.ConnContext,
		ReadHeaderTimeout: 10 * time.Second,
	}
	goRun("admin socket", func(ctx context.Context) error {
		served := make(chan error, 1)
		go func() { served <- srv.Serve(sock) }()
		select {
		case err := <-served:
			return err
		case <-ctx.Done():
		}
		sctx, c := context.WithTimeout(context.Background(), shutdownGrace)
		defer c()
		if err := srv.Shutdown(sctx); err != nil {
			_ = srv.Close() // cuts the connections: their requests' contexts end
		}
		<-served
		requests.Close()
		return nil
	})

	caddymodule.SetBackend(backend{a})
	caddymodule.SetLogger(a.log)
	cfg, err := caddymodule.Build(a.caddy)
	if err != nil {
		return err
	}
	if err := caddy.Run(cfg); err != nil {
		return fmt.Errorf("starting the HTTPS server on %s: %w", a.cfg.Listen, err)
	}
	a.waitTLS(ctx)
	a.log.Info().Str("listen", a.cfg.Listen).Str("data", a.data).Msg("serving")
	fmt.Fprintf(a.out, "SimPhoNy Remote is running at %s\n", a.URL())
	if opts.OnReady != nil {
		opts.OnReady(a)
	}

	<-ctx.Done()
	a.log.Info().Msg("shutting down")
	// Caddy does not track the relay's hijacked connections: end them
	// (and the owners', with a reason).
	a.sockets.CloseAll(websockets.ShuttingDown)
	if err := caddy.Stop(); err != nil {
		a.log.Error().Err(err).Msg("stopping the HTTPS server")
	}
	cancel()
	wg.Wait()
	return nil
}

// waitTLS waits until the HTTPS listener completes a handshake: Caddy
// obtains certificates in the background, and the URL should work once it
// is announced. From the local CA or files this takes moments; ACME may take
// longer, and the wait is cut short.
func (a *Appliance) waitTLS(ctx context.Context) {
	host, port, err := net.SplitHostPort(a.cfg.Listen)
	if err != nil {
		return
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	limit := 30 * time.Second
	if a.caddy.Mode() == caddymodule.TLSACME {
		limit = 5 * time.Second
	}
	deadline := time.Now().Add(limit)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true}} // only checking that a certificate is served
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
		if err == nil {
			conn.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.log.Warn().Str("listen", a.cfg.Listen).Msg("HTTPS does not complete a handshake yet: the certificate is still being obtained")
}

// listenSocket opens DATA/admin.sock, mode 0660. A leftover socket file is
// stale: this process holds the database, so no other appliance serves it.
func (a *Appliance) listenSocket() (net.Listener, error) {
	path := filepath.Join(a.data, SocketName)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("removing a stale admin socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("opening the admin socket: %w", err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, fmt.Errorf("setting the admin socket's mode: %w", err)
	}
	return ln, nil
}

// URL is where users reach the appliance.
func (a *Appliance) URL() string {
	host, port, err := net.SplitHostPort(a.cfg.Listen)
	if err != nil {
		return "https://" + a.cfg.Listen + "/"
	}
	if len(a.cfg.TLS.Hostnames) > 0 {
		host = a.cfg.TLS.Hostnames[0]
	} else if host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified() {
		host = "localhost"
	}
	if port == "443" {
		return "https://" + host + "/"
	}
	return "https://" + net.JoinHostPort(host, port) + "/"
}

// healthTimeout bounds the checks of /healthz, shorter than a probe's
// usual timeout.
const healthTimeout = 3 * time.Second

// Check implements web.Health: the store and Docker.
func (a *Appliance) Check(ctx context.Context) (map[string]string, bool) {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	out := map[string]string{"store": "ok", "docker": "ok"}
	ok := true
	if _, err := a.accounts.Users(ctx); err != nil {
		out["store"], ok = err.Error(), false
	}
	if err := a.docker.Ping(ctx); err != nil {
		out["docker"], ok = err.Error(), false
	}
	return out, ok
}

// Ready implements web.Health: the running sessions are known.
func (a *Appliance) Ready() bool { return a.manager.Ready() }

// Admin is the administration service, with its follow-ups: signing users
// out and stopping sessions whose access went.
func (a *Appliance) Admin() admin.Service { return a.admin }

func (a *Appliance) newAdmin(cfg config.Config, data string, ring *logging.Ring) *admin.Local {
	var warnings []string
	if w := originsWarning(cfg); w != "" {
		warnings = append(warnings, w)
	}
	var logRing admin.LogRing
	if ring != nil {
		logRing = ring // not a typed nil: without a ring, Log says so
	}
	return admin.NewLocal(a.accounts, admin.Options{
		Images: a.docker, Revoker: revoker{a}, Sessions: a.manager, Audit: a.state, Log: a.audit, Volumes: a.volumes,
		Running: a.manager, Shares: a.shares, Docker: a.docker, History: a.history, SignedIn: a.logins.Users,
		SignInLink: func(_ context.Context, user string) (string, error) {
			return a.URL() + "login/link?token=" + a.links.Make(user), nil
		},
		Realm: cfg.Realm, Backend: cfg.Accounting.Backend, Warnings: warnings,
		DataDir: data, HomesDir: filepath.Join(data, HomesDir), LogRing: logRing,
		Process: admin.Process{Started: a.started, URL: a.URL(), PID: os.Getpid(),
			CAFingerprint: func() string { return web.CAFingerprint(a.caRoot) }},
		Starters: func(ctx context.Context, progress io.Writer) error {
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("finding the starter binary: %w", err)
			}
			_, err = images.BuildStarters(ctx, a.docker, images.Options{
				Starter: images.StarterPath(exe), Progress: progress,
			})
			return err
		},
	})
}

// revoker ends everything a user may still hold: open WebSockets,
// browsers, API tokens, and shares with them.
type revoker struct{ a *Appliance }

func (r revoker) RevokeUser(ctx context.Context, user string) (int, error) {
	// First, so that the user's WebSockets are told why.
	r.a.sockets.CloseUser(user, websockets.UserRevoked)
	n, err := r.a.logins.RevokeUser(ctx, user)
	m, err2 := r.a.tokens.RevokeUser(ctx, user)
	return n + m, errors.Join(err, err2, r.a.shares.DropUser(ctx, user))
}

// dropShares drops the shares of a session that ended.
func (a *Appliance) dropShares(ctx context.Context, e session.Event) {
	if e.Kind != session.EventStopped || e.URLID == "" {
		return
	}
	if err := a.shares.DropSession(ctx, e.URLID); err != nil {
		a.log.Error().Err(err).Str("url_id", e.URLID).Msg("dropping the shares of an ended session")
	}
}

// Store is the accounting store.
func (a *Appliance) Store() accounting.Store { return a.accounts }

// State is the bbolt database, for backups.
func (a *Appliance) State() *boltdb.Store { return a.state }

// Logins are the signed-in browsers.
func (a *Appliance) Logins() *auth.Logins { return a.logins }

// Sessions is the session manager.
func (a *Appliance) Sessions() *session.Manager { return a.manager }

// Docker is the Docker client.
func (a *Appliance) Docker() *docker.Client { return a.docker }

// DataDir is the absolute data directory.
func (a *Appliance) DataDir() string { return a.data }

// close waits for the starts and stops under way (which end soon once Run's
// context is done), then closes what they use.
func (a *Appliance) close() {
	if a.admin != nil {
		a.admin.Close() // its build of the starter images, before Docker closes
	}
	if a.portal != nil {
		a.portal.Close()
	}
	if a.manager != nil {
		a.manager.Close()
	}
	if a.docker != nil {
		_ = a.docker.Close()
	}
	if a.accounts != nil && a.accounts != accounting.Store(a.state) {
		_ = a.accounts.Close()
	}
	if a.state != nil {
		_ = a.state.Close()
	}
}
