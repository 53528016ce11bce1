// Package caddymodule is simphony-remote's Caddy module: the handler that
// answers every request behind Caddy's TLS, authenticates it, and either
// carries a session's request to the session itself once authorised (HTTP
// in forward.go, WebSockets and other upgrades in tunnel.go) or serves the
// appliance's own pages and API; plus the Caddy configuration, built in Go.
package caddymodule

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/wsrelay"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Backend is the engine as the module sees it.
type Backend interface {
	// Identify returns who made the request, if anybody signed in.
	Identify(r *http.Request) (auth.Identity, bool)
	// Route returns the running session of a url id, repairing a missing
	// route from the container's labels when the container runs.
	Route(ctx context.Context, urlID string) (routes.Route, bool)
	// Access says how far id may use the session.
	Access(id auth.Identity, r routes.Route) Access
	// Relay carries a shared user's WebSocket to the session through the
	// engine's relay (filtered for viewers, closed on revocation), instead
	// of the module's tunnel.
	Relay(w http.ResponseWriter, r *http.Request, id auth.Identity, route routes.Route, access Access)
	// OpenWebSocket admits the owner's WebSocket (any upgrade) that the
	// module's tunnel is about to carry: attach gets the client's
	// connection once hijacked, so that the engine can close it; done is
	// called when it has ended. Over a cap it answers w itself and says
	// false.
	OpenWebSocket(w http.ResponseWriter, r *http.Request, id auth.Identity, route routes.Route) (attach func(net.Conn), done func(), ok bool)
	// Unreachable answers a request whose session did not answer, after
	// checking whether its container is gone.
	Unreachable(w http.ResponseWriter, r *http.Request, route routes.Route)
	// Refuse answers a session request the module turns down with status
	// and message: the appliance's error page for browsers, its JSON
	// error for API clients.
	Refuse(w http.ResponseWriter, r *http.Request, status int, message string)
	// Ticket gives a browser signed in on the portal a single-use ticket
	// into the origin of session urlID (subdomain mode).
	Ticket(id auth.Identity, urlID string) (string, error)
	// Enter redeems a ticket on the origin of session urlID, returning the
	// cookie that signs the browser in there.
	Enter(ctx context.Context, ticket, urlID string) (*http.Cookie, bool)
	// IdentifyOrigin returns who made a request on the origin of session
	// urlID: its cookie, or an API token.
	IdentifyOrigin(r *http.Request, urlID string) (auth.Identity, bool)
	// Observe counts a proxied request's status.
	Observe(status int)
	// ServeHTTP serves everything that is not a session.
	http.Handler
}

// Access is how far a caller may use a session.
type Access int

// Access levels.
const (
	NoAccess      Access = iota
	ViewAccess           // a view share: look, do not touch
	ControlAccess        // a control share
	OwnerAccess          // the session's owner
)

// backend is handed over by the engine before Caddy starts: Caddy builds
// modules itself, afresh at each (re)load, so they cannot be given it.
var backend atomic.Pointer[Backend]

// SetBackend sets the engine the module serves; call it before caddy.Run.
func SetBackend(b Backend) { backend.Store(&b) }

// Handler is the module.
type Handler struct {
	// SessionHost, when set, serves each session on an origin of its own,
	// https://{url_id}.{SessionHost}, and the portal on SessionHost
	// (subdomain mode; see origins.go). Empty: sessions are served on the
	// portal's origin (path mode).
	SessionHost string `json:"session_host,omitempty"`

	b Backend
	// forward carries a session's HTTP request to its address: forward
	// (forward.go); tests replace it.
	forward func(w http.ResponseWriter, r *http.Request, addr string) error
}

// CaddyModule implements caddy.Module.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.simphony_remote", New: func() caddy.Module { return new(Handler) }}
}

// Provision implements caddy.Provisioner.
func (h *Handler) Provision(caddy.Context) error {
	b := backend.Load()
	if b == nil {
		return errors.New("simphony_remote: no engine: this module only runs inside simphony-remote serve")
	}
	h.b = *b
	h.forward = forward
	return nil
}

// Validate implements caddy.Validator.
func (h *Handler) Validate() error {
	if h.b == nil {
		return errors.New("simphony_remote: not provisioned")
	}
	return nil
}

// Cleanup implements caddy.CleanerUpper.
func (h *Handler) Cleanup() error { return nil }

// sessionPath matches /user/{name}/containers/{url_id} and what follows,
// taking a run of slashes before {url_id}'s end as one: noVNC 0.4, in the
// images written for simphony-remote, asks for '/' + path where its path
// starts with a slash (//user/...). cleanSessionPath then gives the
// request the clean path, so that the proxy, the redirects and the
// application all read the same one.
var sessionPath = regexp.MustCompile(`^/+user/+([^/]+)/+containers/+([^/]+)(/.*)?$`)

// cleanSessionPath rewrites a session path that sessionPath matched (m) as
// /user/{name}/containers/{url_id} and what follows, its raw form too.
func cleanSessionPath(u *url.URL, m []string) {
	clean := "/user/" + m[1] + "/containers/" + m[2] + m[3]
	if u.Path == clean {
		return
	}
	u.Path = clean
	if rm := sessionPath.FindStringSubmatch(u.RawPath); rm != nil {
		u.RawPath = "/user/" + rm[1] + "/containers/" + rm[2] + rm[3]
	} else {
		u.RawPath = ""
	}
}

// ServeHTTP implements caddyhttp.MiddlewareHandler. The module answers
// every request itself: it is the only handler of the appliance's route.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	setHSTS(w, r)
	if urlID, ok := h.sessionOrigin(r.Host); ok {
		return h.serveOrigin(w, r, urlID)
	}
	m := sessionPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		h.b.ServeHTTP(w, r)
		return nil
	}
	cleanSessionPath(r.URL, m)
	if badPath(r) {
		h.b.Refuse(w, r, http.StatusBadRequest, "bad path: encoded slashes and . or .. segments are not allowed")
		return nil
	}
	id, ok := h.b.Identify(r)
	if !ok {
		unauthenticated(w, r)
		return nil
	}
	route, access, ok := h.authorise(w, r, id, m[1], m[2])
	if !ok {
		return nil
	}
	if h.SessionHost != "" {
		// The portal's origin never serves a session: the browser goes
		// to the session's own origin.
		h.handoff(w, r, id, route.URLID)
		return nil
	}
	return h.proxy(w, r, id, route, access, m[3])
}

// authorise finds the session urlID of user name and how far id may use
// it; it answers the request itself when id may not.
func (h *Handler) authorise(w http.ResponseWriter, r *http.Request, id auth.Identity, name, urlID string) (routes.Route, Access, bool) {
	route, ok := h.b.Route(r.Context(), urlID)
	access := NoAccess
	if ok && route.User == name {
		access = h.b.Access(id, route)
	}
	if access == NoAccess {
		// Never tell whether somebody else's session exists: a session
		// that ended, a made-up url id and another user's session get the
		// same answer.
		h.b.Refuse(w, r, http.StatusNotFound, notFound)
		return routes.Route{}, NoAccess, false
	}
	return route, access, true
}

// proxy hands an authorised request to the session.
func (h *Handler) proxy(w http.ResponseWriter, r *http.Request, id auth.Identity, route routes.Route, access Access, rest string) error {
	if rest == "" {
		http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
		return nil
	}
	if !safeMethod(r.Method) && crossSite(r) {
		h.b.Refuse(w, r, http.StatusForbidden, "cross-site request refused")
		return nil
	}
	if access == ViewAccess && !safeMethod(r.Method) {
		h.b.Refuse(w, r, http.StatusForbidden, "this session is shared with you for viewing only")
		return nil
	}
	if wsrelay.IsUpgrade(r) && !sameOriginUpgrade(r) {
		h.b.Refuse(w, r, http.StatusForbidden, "a WebSocket from another origin is refused")
		return nil
	}
	scrub(r, id)
	// The session's key replaces any the client sent (see protocol.HeaderSessionKey).
	r.Header.Set(protocol.HeaderSessionKey, route.SessionKey)
	route.Touch(time.Now())
	// Any upgrade (however its headers are split) from a shared user goes
	// to the relay, which refuses what it cannot filter: the tunnel would
	// carry it unfiltered.
	if access != OwnerAccess && wsrelay.IsUpgrade(r) {
		h.b.Relay(w, r, id, route, access)
		h.b.Observe(http.StatusSwitchingProtocols)
		return nil
	}
	rec := &statusRecorder{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w}, hsts: w.Header().Get("Strict-Transport-Security"), ancestors: h.frameAncestors(r)}
	if wsrelay.IsUpgrade(r) {
		h.tunnel(w, rec, r, id, route)
		return nil
	}
	err := h.forward(rec, r, route.Upstream)
	switch {
	case errors.Is(err, errUnreachable):
		h.b.Unreachable(w, r, route)
		h.b.Observe(http.StatusBadGateway)
		return nil
	case errors.Is(err, errClientGone):
		h.b.Observe(statusClientGone)
		return nil
	}
	status := rec.status
	if status == 0 && err != nil {
		status = http.StatusInternalServerError
	}
	h.b.Observe(status)
	return err
}

// statusClientGone is the status counted for a request whose client went
// away before its session answered (nginx's and Caddy's 499).
const statusClientGone = 499

// notFound is the answer for a session the caller cannot use, whatever
// the reason.
const notFound = "no session you may use is at this address: it has ended, or it is not yours"

// badPath refuses paths that a proxy and an application could read
// differently: encoded slashes or backslashes, and . or .. segments.
func badPath(r *http.Request) bool {
	raw := strings.ToLower(r.URL.EscapedPath())
	if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") || strings.Contains(r.URL.Path, "\\") {
		return true
	}
	for _, seg := range strings.Split(r.URL.Path, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// unauthenticated sends browsers to the sign-in page and tells API
// clients to authenticate.
func unauthenticated(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="simphony-remote"`)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(`{"type":"unauthorized","message":"sign in first"}` + "\n"))
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// crossSite says whether a browser marked the request as coming from
// another site.
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		return err != nil || u.Host != r.Host
	}
	return false
}

// scrub removes the appliance's cookies and credentials (and only those)
// from a request bound for a session, and what only the appliance may say
// (headers.go), and sets the trusted identity header.
func scrub(r *http.Request, id auth.Identity) {
	if cookies := r.Cookies(); len(cookies) > 0 {
		var keep []string
		for _, c := range cookies {
			if !strings.HasPrefix(c.Name, "__Host-simphony") {
				keep = append(keep, c.String())
			}
		}
		r.Header.Del("Cookie")
		if len(keep) > 0 {
			r.Header.Set("Cookie", strings.Join(keep, "; "))
		}
	}
	// The appliance's tokens stop here; any other Authorization header is
	// the application's own (a Jupyter token, say) and passes unchanged.
	if values := r.Header.Values("Authorization"); len(values) > 0 {
		var keep []string
		for _, v := range values {
			if _, ours := auth.TokenOf(v); !ours {
				keep = append(keep, v)
			}
		}
		r.Header.Del("Authorization")
		for _, v := range keep {
			r.Header.Add("Authorization", v)
		}
	}
	dropClientHeaders(r.Header, id)
	r.Header.Set("X-Remote-User", id.User)
}

// statusRecorder notes the status an answer starts with, and applies the
// appliance's rules to a session's answers (answerRules).
type statusRecorder struct {
	*caddyhttp.ResponseWriterWrapper
	status int
	hsts   string // the appliance's Strict-Transport-Security, if any
	// ancestors are who may frame the answer (frameAncestors), unless the
	// application says it itself.
	ancestors string
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.answerRules(s.Header())
	s.ResponseWriterWrapper.WriteHeader(code)
}

// answerRules applies the appliance's rules to the headers h of a
// session's answer, a WebSocket's 101 included.
func (s *statusRecorder) answerRules(h http.Header) {
	dropOurCookies(h)
	// The appliance alone says how browsers reach its names (setHSTS): a
	// session's own Strict-Transport-Security, max-age=0 say, or one on
	// localhost, never reaches the browser.
	h.Del("Strict-Transport-Security")
	if s.hsts != "" {
		h.Set("Strict-Transport-Security", s.hsts)
	}
	if s.ancestors != "" && !saysFraming(h) {
		h.Add("Content-Security-Policy", "frame-ancestors "+s.ancestors)
	}
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriterWrapper.Write(b)
}

// Interface guards.
var (
	_ caddy.Module                = (*Handler)(nil)
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
