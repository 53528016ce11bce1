// Package adminweb serves the web admin at /admin/: server-rendered pages
// over admin.Service. The handler parses requests, calls the service and
// renders its answers; it decides nothing itself, so that every rule (and
// every audit entry) stays in the service. Who the caller is comes from
// Deps.Authorize, so that the same handler can run behind the portal's
// sign-in or inside the desktop console's window.
package adminweb

import (
	"context"
	"crypto/subtle"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/logging"
	"github.com/simphony/simphony-remote/engine/problem"
	"github.com/simphony/simphony-remote/engine/web"
	"github.com/simphony/simphony-remote/frontend"
)

// Prefix is where the pages live.
const Prefix = "/admin/"

// Deps are what the handler needs.
type Deps struct {
	Service admin.Service
	// Authorize says who asks: an administrator (ok), the actor recorded
	// in the audit log, and the CSRF token that the caller's forms carry
	// ("" when the caller cannot be forged, as in the desktop console).
	// Everybody else gets Refuse's 404: the pages do not exist for them.
	Authorize func(r *http.Request) (actor audit.Actor, csrf string, ok bool)
	// Refuse answers a refused request with the appliance's error page;
	// nil: the admin pages' own error page.
	Refuse func(w http.ResponseWriter, r *http.Request, status int, msg string)
	// Console: the pages are in the desktop console's window, which has
	// no account and no sign-out, and a "This machine" page at
	// /machine/ (served by the console).
	Console bool
	// Headers sets the security headers of every page (web.SecurityHeaders).
	Headers func(w http.ResponseWriter)
	// Warning is shown on every page (web.PathOriginsWarning in path mode).
	Warning string
	Log     zerolog.Logger
	Now     func() time.Time
}

// Handler serves the admin pages.
type Handler struct {
	d     Deps
	mux   *http.ServeMux
	pages map[string]*template.Template
}

// pageNames are the templates under frontend/templates/admin.
var pageNames = []string{"dashboard", "users", "user", "user_remove", "password", "applications", "application",
	"application_remove", "grants", "sessions", "session_stop", "images", "image_remove", "audit", "error"}

// New returns the admin pages' handler.
func New(d Deps) (*Handler, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Headers == nil {
		d.Headers = func(http.ResponseWriter) {}
	}
	h := &Handler{d: d, mux: http.NewServeMux(), pages: map[string]*template.Template{}}
	if h.d.Refuse == nil {
		h.d.Refuse = h.refuse
	}
	for _, name := range pageNames {
		t, err := ParsePage("admin/" + name + ".html")
		if err != nil {
			return nil, err
		}
		h.pages[name] = t
	}
	h.routes()
	return h, nil
}

// ParsePage parses a page with the admin pages' layout and navigation from
// frontend's templates/file: theirs, and those another front end adds (the
// desktop console's "This machine").
func ParsePage(file string) (*template.Template, error) {
	return template.New(file).Funcs(funcs).ParseFS(frontend.FS, "templates/layout.html", "templates/admin/base.html", "templates/"+file)
}

// ServeHTTP implements http.Handler: it refuses whoever is not an
// administrator with a 404, and puts the actor into the request's context
// for the audit log.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	actor, csrf, ok := h.d.Authorize(r)
	if !ok {
		h.d.Refuse(w, r, http.StatusNotFound, "there is no page at this address")
		return
	}
	h.d.Headers(w)
	ctx := audit.WithActor(r.Context(), actor)
	ctx = context.WithValue(ctx, callerKey{}, caller{actor: actor, csrf: csrf})
	h.mux.ServeHTTP(w, r.WithContext(ctx))
}

type callerKey struct{}

type caller struct {
	actor audit.Actor
	csrf  string
}

func callerOf(r *http.Request) caller {
	c, _ := r.Context().Value(callerKey{}).(caller)
	return c
}

// page is the data of every admin template. The layout's fields come
// first; each page fills in Data.
type page struct {
	Title, User string
	Admin       bool
	CSRF        string
	Refresh     int
	Error       string
	Notice      string
	Warning     string
	// Nav is the section the page belongs to, for the navigation.
	Nav string
	// Console: the page is in the desktop console (see Deps.Console);
	// Location is then its address, which the console's window may not
	// show (see app's followRedirects).
	Console  bool
	Location string
	// ReadOnly: the accounting backend cannot change; write controls are
	// disabled.
	ReadOnly bool
	// Banners are the service's warnings.
	Banners []string
	// Fields are the errors of a form, by field name.
	Fields map[string]string
	// Form holds a form's values when it is shown again.
	Form url.Values
	// Password is a generated password, shown once.
	Password string
	// Heading, Message and Ref are the error page's.
	Heading, Message, Ref string
	Data                  any
}

// newPage starts the page of r, with its flash message.
func (h *Handler) newPage(w http.ResponseWriter, r *http.Request, nav, title string) page {
	c := callerOf(r)
	p := page{Title: title, User: c.actor.Name, Admin: true, CSRF: c.csrf, Warning: h.d.Warning, Nav: nav, Console: h.d.Console}
	if h.d.Console {
		p.User = "" // no account, no sign-out in the console's header
		p.Location = r.URL.RequestURI()
	}
	p.Notice, p.Error = takeFlash(w, r)
	h.info(r.Context(), &p)
	return p
}

// render writes a page; a template failure becomes a plain 500.
func (h *Handler) render(w http.ResponseWriter, status int, name string, p page) {
	web.Render(w, h.pages[name], status, p, &h.d.Log, "the admin "+name+" page")
}

// fail renders the error page for err, as the error classification says;
// a server error gets a logged reference.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, heading string, err error) {
	pr := problem.Of(err)
	p := h.newPage(w, r, "", heading)
	p.Heading, p.Message = heading, problem.Sentence(err)
	if pr.Status >= 500 {
		p.Ref = logging.Issue(&h.d.Log, err, heading)
	}
	h.render(w, pr.Status, "error", p)
}

// refuse is the admin pages' own Refuse: their error page.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p := h.newPage(w, r, "", http.StatusText(status))
	p.Heading, p.Message = http.StatusText(status), msg
	h.render(w, status, "error", p)
}

// done ends an action: back to the page at to, with a notice, or with the
// error's sentence when err is not nil (a server error is logged).
func (h *Handler) done(w http.ResponseWriter, r *http.Request, to, notice string, err error) {
	if err != nil {
		msg := problem.Sentence(err)
		if problem.Of(err).Status >= 500 {
			msg += " (reference " + logging.Issue(&h.d.Log, err, "admin action") + ")"
		}
		setFlash(w, r, "e", msg)
	} else {
		setFlash(w, r, "n", notice)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// maxForm bounds form bodies (not image uploads, which stream).
const maxForm = 64 << 10

// checkPost reads a small form and checks that it comes from the admin
// pages (same origin, the caller's CSRF token), answering when not.
func (h *Handler) checkPost(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.d.Refuse(w, r, http.StatusBadRequest, "the form could not be read")
		return false
	}
	return h.checkToken(w, r, r.PostFormValue("csrf_token"))
}

// checkToken checks a form's CSRF token, answering when it is wrong.
func (h *Handler) checkToken(w http.ResponseWriter, r *http.Request, token string) bool {
	want := callerOf(r).csrf
	if h := r.Header.Get("X-CSRF-Token"); h != "" {
		token = h
	}
	if auth.SameOrigin(r) && (want == "" || subtle.ConstantTimeCompare([]byte(token), []byte(want)) == 1) {
		return true
	}
	h.d.Refuse(w, r, http.StatusForbidden, "this request did not come from this appliance's own pages (missing or wrong CSRF token); reload the page and try again")
	return false
}

var _ http.Handler = (*Handler)(nil)
