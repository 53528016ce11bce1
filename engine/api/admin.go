package api

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api/wire"
)

// adminAPI serves the administration endpoints on an admin.Service.
type adminAPI struct {
	svc admin.Service
	log zerolog.Logger
	mux *http.ServeMux
}

// AdminHandler serves the admin API under /api/v1/admin/ (full paths: mount
// it at that prefix). It trusts every caller: put it behind the admin
// socket's file permissions, or behind admin authentication.
//
//	GET    /users[?grants=1]            [user]                  user: {"name","admin","disabled","has_password"[,"grants"]}
//	POST   /users                       {"name","admin","password"} → 201 user
//	GET    /users/{name}[?grants=1]     user
//	PATCH  /users/{name}                {"admin"?,"disabled"?,"password"?} → user
//	DELETE /users/{name}                → 204
//	POST   /users/{name}/sign-in-link   → 201 {"url"}: a one-time sign-in link
//	GET    /applications                [{"image","limits":{"memory_bytes","cpus","pids"}}]
//	POST   /applications                {"image","verify"(default true),"limits"} → 201 application
//	GET    /applications/{image}        application
//	PATCH  /applications/{image}        {"limits":{"memory_bytes"?,"cpus"?,"pids"?}} → application (only the limits given change)
//	DELETE /applications/{image}        → 204
//	GET    /grants?user=NAME            [{"mapping_id","user","image","policy"}]
//	POST   /grants                      {"user","image","policy"} → 201 {"mapping_id"}
//	POST   /grants/revoke               {"user","image","policy"} or {"user","image","all":true} → {"revoked"}
//	DELETE /grants/{mapping_id}         → 204
//	POST   /import                      {"users","applications","grants","dry_run"} → {"dry_run","users","applications","grants","unchanged","conflicts"}
//	GET    /backup                      application/octet-stream: the bbolt database
//	GET    /audit?limit=N&before=ID[&user=&action=&from=&to=]  {"entries":[{"id","time","actor","address","action","target","detail","result"}],"next":ID|null}
//
// An image keeps its slashes and colons in the path:
// /applications/lab/tool:2.1. Errors are {"type","message","ref"} (see
// classify), routing errors too: 404 not_found, 405 method_not_allowed.
func AdminHandler(svc admin.Service, log zerolog.Logger) http.Handler {
	a := &adminAPI{svc: svc, log: log, mux: http.NewServeMux()}
	for _, rt := range []struct {
		pattern string
		h       handlerFunc
	}{
		{"GET /users", a.listUsers},
		{"POST /users", a.createUser},
		{"GET /users/{name...}", a.getUser},
		{"PATCH /users/{name...}", a.updateUser},
		{"DELETE /users/{name...}", a.removeUser},
		{"POST /users/{name}/sign-in-link", a.signInLink},
		{"GET /applications", a.listApplications},
		{"POST /applications", a.createApplication},
		{"GET /applications/{image...}", a.getApplication},
		{"PATCH /applications/{image...}", a.updateApplication},
		{"DELETE /applications/{image...}", a.removeApplication},
		{"GET /grants", a.listGrants},
		{"POST /grants", a.grant},
		{"POST /grants/revoke", a.revoke},
		{"DELETE /grants/{mapping_id...}", a.revokeMapping},
		{"POST /import", a.importRecords},
		{"GET /backup", a.backup},
		{"GET /audit", a.listAudit},
	} {
		method, path, _ := strings.Cut(rt.pattern, " ")
		register(a.mux, method+" "+admin.AdminPath+path, handle(log, rt.h))
	}
	// Other methods on the collections: 405, rather than the mux's
	// redirect to the subtree of /users/{name...} and its kin.
	for _, c := range []string{"/users", "/applications", "/grants"} {
		a.mux.Handle(admin.AdminPath+c, methodNotAllowed("GET", "HEAD", "POST"))
	}
	return a
}

// methodNotAllowed answers 405 with the allowed methods.
func methodNotAllowed(allow ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Allow"] = allow
		writeJSON(w, http.StatusMethodNotAllowed, wire.Error{Type: wire.TypeMethodNotAllowed,
			Message: r.Method + " is not allowed on " + r.URL.Path + "; allowed: " + strings.Join(allow, ", ")})
	})
}

// ServeHTTP routes r, answering unknown paths and methods in JSON.
func (a *adminAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := a.mux.Handler(r)
	if pattern != "" {
		a.mux.ServeHTTP(w, r)
		return
	}
	rec := &statusRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r) // the mux's own 404 or 405
	if rec.status == http.StatusMethodNotAllowed {
		allow := strings.Split(rec.header.Get("Allow"), ", ")
		sort.Strings(allow)
		methodNotAllowed(allow...).ServeHTTP(w, r)
		return
	}
	writeJSON(w, http.StatusNotFound, wire.Error{Type: wire.TypeNotFound, Message: "no admin API endpoint " + r.URL.Path})
}

// statusRecorder keeps the status and headers of the mux's error answers.
type statusRecorder struct {
	header http.Header
	status int
}

func (s *statusRecorder) Header() http.Header         { return s.header }
func (s *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusRecorder) WriteHeader(code int)        { s.status = code }

// userJSON is a user as the API shows it: accounting.User's JSON form, and
// with ?grants=1 its grants.
type userJSON struct {
	Name        string              `json:"name"`
	Admin       bool                `json:"admin"`
	Disabled    bool                `json:"disabled"`
	HasPassword bool                `json:"has_password"`
	Grants      *[]accounting.Grant `json:"grants,omitempty"`
}

func userOut(u admin.User, withGrants bool) userJSON {
	j := userJSON{Name: u.Name, Admin: u.Admin, Disabled: u.Disabled, HasPassword: u.HasPassword}
	if withGrants {
		g := u.Grants
		if g == nil {
			g = []accounting.Grant{}
		}
		j.Grants = &g
	}
	return j
}

// flag reads a boolean query parameter; absent is false.
func flag(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest("query parameter " + name + "=" + strconv.Quote(v) + ": want 1 or 0")
	}
	return b, nil
}

func (a *adminAPI) listUsers(w http.ResponseWriter, r *http.Request) error {
	withGrants, err := flag(r, "grants")
	if err != nil {
		return err
	}
	users, err := a.svc.Users(r.Context(), withGrants)
	if err != nil {
		return err
	}
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = userOut(u, withGrants)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *adminAPI) getUser(w http.ResponseWriter, r *http.Request) error {
	withGrants, err := flag(r, "grants")
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	u, err := a.svc.User(r.Context(), name)
	if err != nil {
		return err
	}
	if withGrants {
		if u.Grants, err = a.svc.Grants(r.Context(), name); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, userOut(u, withGrants))
	return nil
}

func (a *adminAPI) createUser(w http.ResponseWriter, r *http.Request) error {
	var in wire.CreateUser
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	u, err := a.svc.CreateUser(r.Context(), admin.NewUser{Name: in.Name, Admin: in.Admin, Password: in.Password})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, userOut(u, false))
	return nil
}

func (a *adminAPI) updateUser(w http.ResponseWriter, r *http.Request) error {
	var in wire.UpdateUser
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	u, err := a.svc.UpdateUser(r.Context(), r.PathValue("name"), admin.UserChange{Admin: in.Admin, Disabled: in.Disabled, Password: in.Password})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userOut(u, false))
	return nil
}

func (a *adminAPI) signInLink(w http.ResponseWriter, r *http.Request) error {
	link, err := a.svc.SignInLink(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, wire.SignInLink{URL: link})
	return nil
}

func (a *adminAPI) removeUser(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.RemoveUser(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
