package api

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/portal"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
)

// Sessions is what the user API does with sessions.
type Sessions interface {
	Start(ctx context.Context, user, mappingID string, conf map[string]string) (session.Started, error)
	Stop(ctx context.Context, user, urlID string) error
	StopAny(ctx context.Context, urlID, by string) error
	Get(urlID string) (routes.Route, bool)
	List(user string) []routes.Route
	Routes() *routes.Table
	Subscribe() (<-chan session.Event, func())
}

// UserDeps are what the user API needs.
type UserDeps struct {
	Resolver *auth.Resolver
	// Portal is the user's operations.
	Portal *portal.Service
	// Sessions serve the events and the legacy admin resources.
	Sessions Sessions
	// Image describes an application image (from the container runtime).
	Image func(ctx context.Context, ref string) (protocol.Image, error)
	Audit *audit.Log
	// Admin serves /api/v1/admin/ to administrators.
	Admin http.Handler
	Log   zerolog.Logger

	// AdminService is the admin surface behind the legacy admin resources;
	// Realm tags the appliance's containers there.
	AdminService admin.Service
	Realm        string
}

// userAPI serves /api/v1 to signed-in users.
type userAPI struct {
	d   UserDeps
	mux *http.ServeMux
}

// NewHandler serves the JSON API under /api/v1/ and the legacy shapes under
// /user/{name}/api/v1/ (mount it at both). Every request is authenticated
// (cookie, with the X-CSRF-Token header on unsafe methods, or a bearer
// token), except /api/v1/openapi.json.
func NewHandler(d UserDeps) http.Handler {
	u := &userAPI{d: d, mux: http.NewServeMux()}
	routes := []struct {
		pattern string
		h       func(w http.ResponseWriter, r *http.Request, id auth.Identity) error
	}{
		{"GET /me", u.me},
		{"GET /applications", u.applications},
		{"POST /containers", u.startContainer},
		{"GET /containers", u.listContainers},
		{"GET /containers/{url_id}", u.getContainer},
		{"DELETE /containers/{url_id}", u.stopContainer},
		{"GET /containers/{url_id}/shares", u.listShares},
		{"POST /containers/{url_id}/shares", u.share},
		{"DELETE /containers/{url_id}/shares/{user}", u.unshare},
		{"GET /shared", u.shared},
		{"GET /events", u.events},
		{"GET /tokens", u.listTokens},
		{"POST /tokens", u.createToken},
		{"DELETE /tokens/{id}", u.deleteToken},
	}
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		register(u.mux, method+" "+Prefix+path, u.authenticated(rt.h))
	}
	register(u.mux, "GET "+Prefix+"/openapi.json", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(OpenAPI)
	}))
	u.mux.Handle(Prefix+"/admin/", u.authenticated(u.admin))
	u.legacy()
	u.mux.Handle(Prefix+"/", handle(d.Log, func(http.ResponseWriter, *http.Request) error {
		return &requestError{status: http.StatusNotFound, typ: wire.TypeNotFound, msg: "no such endpoint"}
	}))
	return u.mux
}

// Prefix is where the API lives.
const Prefix = "/api/v1"

// authenticated resolves the caller, checks CSRF for cookie sessions, puts
// the actor in the context for the audit log, and renders errors.
func (u *userAPI) authenticated(h func(w http.ResponseWriter, r *http.Request, id auth.Identity) error) http.Handler {
	return handle(u.d.Log, func(w http.ResponseWriter, r *http.Request) error {
		id, ok := u.d.Resolver.Identify(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="simphony-remote"`)
			return &requestError{status: http.StatusUnauthorized, typ: wire.TypeUnauthorized, msg: "sign in, or send an API token as Authorization: Bearer TOKEN"}
		}
		if id.Via == auth.ViaCookie && !safeMethod(r.Method) {
			if !auth.SameOrigin(r) {
				return &requestError{status: http.StatusForbidden, typ: wire.TypeForbidden, msg: "cross-site request refused"}
			}
			token := r.Header.Get("X-CSRF-Token")
			if subtle.ConstantTimeCompare([]byte(token), []byte(id.Login.CSRF)) != 1 {
				return &requestError{status: http.StatusForbidden, typ: wire.TypeForbidden, msg: "missing or wrong X-CSRF-Token header (see csrf_token in GET /api/v1/me)"}
			}
		}
		ctx := audit.WithActor(r.Context(), audit.Actor{Name: id.User, Address: clientIP(r)})
		return h(w, r.WithContext(ctx), id)
	})
}

func (u *userAPI) admin(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	if !id.Admin {
		return &requestError{status: http.StatusForbidden, typ: wire.TypeForbidden, msg: "administrators only"}
	}
	u.d.Admin.ServeHTTP(w, r)
	return nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// baseURL is the appliance's address as the client reached it.
func baseURL(r *http.Request) string { return "https://" + r.Host }
