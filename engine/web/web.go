// Package web serves the appliance's own pages: sign-in and sign-out, the
// user portal, the local CA's certificate, health and metrics. Requests for
// running sessions never reach it: the proxy module handles those.
package web

import (
	"context"
	"html/template"
	"net/http"
	"path"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/portal"
	"github.com/simphony/simphony-remote/frontend"
)

// Health reports the state of the appliance's dependencies, and whether it
// is ready to serve.
type Health interface {
	Check(ctx context.Context) (map[string]string, bool)
	Ready() bool
}

// Deps are what the handler needs.
type Deps struct {
	Authenticator *auth.Authenticator
	Logins        *auth.Logins
	Resolver      *auth.Resolver
	// SignInLinks are the one-time sign-in links made on the host; nil:
	// none works.
	SignInLinks *auth.SignInLinks
	// Portal is the user's operations.
	Portal  *portal.Service
	Health  Health
	Metrics http.Handler
	// MetricsToken, when set, lets a scraper read /metrics with
	// "Authorization: Bearer TOKEN".
	MetricsToken string
	// CARoot returns the local CA's root certificate (PEM), or nil when the
	// appliance does not use its own CA.
	CARoot func() ([]byte, error)
	// Open is true in the open (password-less, demonstration) mode.
	Open bool
	// Audit records sign-ins and sign-outs.
	Audit *audit.Log
	// OriginsWarning, when set, is shown to administrators on every page:
	// PathOriginsWarning in path mode.
	OriginsWarning string
	// SessionHost, in subdomain mode, is the name under which sessions
	// have their origins ({url_id}.SessionHost): the toolbar page frames
	// them.
	SessionHost string
	Log         zerolog.Logger
	Now         func() time.Time
}

// PathOriginsWarning explains the risk of path origins (sessions.origins
// = "path", or auto on an IP address), to administrators and in the log.
const PathOriginsWarning = "Sessions run on the portal's own origin (sessions.origins is path): a web application in a session can act as whoever opens it, read their API, make API tokens in their name, including an administrator's. Open only sessions you trust, and give the appliance a DNS name (tls.hostnames) with a wildcard record *.NAME, so that each session runs on an origin of its own (see the README, \"Origins\")."

// Handler serves the pages.
type Handler struct {
	d      Deps
	mux    *http.ServeMux
	pages  map[string]*template.Template
	starts starts
}

// New returns the pages' handler.
func New(d Deps) (*Handler, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	h := &Handler{d: d, mux: http.NewServeMux(), pages: map[string]*template.Template{}, starts: starts{m: map[string]*startState{}}}
	for _, name := range []string{"login", "loginlink", "logout", "portal", "error", "starting", "account", "session"} {
		files := []string{"templates/layout.html", "templates/sharedialog.html", "templates/" + name + ".html"}
		if name == "session" {
			files = files[1:] // a page of its own: the toolbar over the frame
		}
		t, err := template.New(path.Base(files[0])).Funcs(frontend.Funcs).ParseFS(frontend.FS, files...)
		if err != nil {
			return nil, err
		}
		h.pages[name] = t
	}
	h.mux.Handle("GET "+frontend.StaticPrefix, frontend.StaticHandler())
	h.mux.HandleFunc("GET /login", h.loginPage)
	h.mux.HandleFunc("POST /login", h.login)
	h.mux.HandleFunc("GET /login/link", h.linkPage)
	h.mux.HandleFunc("POST /login/link", h.linkLogin)
	h.mux.HandleFunc("GET /logout", h.logoutPage)
	h.mux.HandleFunc("POST /logout", h.logout)
	h.mux.HandleFunc("GET /{$}", h.portal)
	h.mux.HandleFunc("POST /start", h.start)
	h.mux.HandleFunc("GET /starting/{mapping}", h.startingPage)
	h.mux.HandleFunc("GET "+SessionPagePrefix+"{url_id}", h.sessionPage)
	h.mux.HandleFunc("POST /stop", h.stop)
	h.mux.HandleFunc("POST /share", h.share)
	h.mux.HandleFunc("POST /unshare", h.unshare)
	h.mux.HandleFunc("GET /account", h.accountPage)
	h.mux.HandleFunc("POST /account/password", h.changePassword)
	h.mux.HandleFunc("POST /account/tokens", h.createToken)
	h.mux.HandleFunc("POST /account/tokens/delete", h.deleteToken)
	h.mux.HandleFunc("GET /ca.crt", h.caCert)
	h.mux.HandleFunc("GET /healthz", h.healthz)
	h.mux.HandleFunc("GET /readyz", h.readyz)
	h.mux.HandleFunc("GET /metrics", h.metrics)
	h.mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		h.Refuse(w, r, http.StatusNotFound, "there is no page at this address")
	})
	return h, nil
}

// ServeHTTP implements http.Handler, adding the security headers every
// page carries.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	h.mux.ServeHTTP(w, r)
}

// SecurityHeaders sets the headers every page of the appliance carries,
// for the pages served by other handlers (the admin pages).
func SecurityHeaders(w http.ResponseWriter) { securityHeaders(w) }

// pageCSP is the Content-Security-Policy of the appliance's pages.
const pageCSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"

// securityHeaders are the headers every page of the appliance carries.
func securityHeaders(w http.ResponseWriter) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", pageCSP)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "SAMEORIGIN")
	hdr.Set("Referrer-Policy", "same-origin")
}
