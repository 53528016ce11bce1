package web

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/logging"
)

// page is the data of every template; each page uses some of it.
type page struct {
	Title, User string
	// Refresh reloads the page after that many seconds when scripts are
	// off. (Not when they are on: axe-core rightly counts a page that
	// reloads itself on a timer as a barrier, WCAG 2.2.1. A script that
	// could not load leaves the page's own reload link.)
	Refresh       int
	Admin         bool
	CSRF          string
	Error, Notice string
	// Warning is shown to administrators on every page (path origins).
	Warning string

	// login
	Open          bool
	Next          string
	Username      string
	CAFingerprint string
	Token         string // a sign-in link's
	// portal
	Apps   []app
	Shared []sharedView
	// DockerDown: Docker did not answer; the page shows what it knows.
	DockerDown bool
	// starting
	Start     *startState
	MappingID string
	// session (the toolbar page)
	Session *sessionView
	// error
	Heading, Message, Ref string
	// account
	Account *accountView
}

func (h *Handler) pageFor(id auth.Identity, title string) page {
	p := page{Title: title, User: id.User, Admin: id.Admin, CSRF: id.Login.CSRF}
	if id.Admin {
		p.Warning = h.d.OriginsWarning
	}
	return p
}

// render writes a page; a template failure becomes a plain 500.
func (h *Handler) render(w http.ResponseWriter, status int, name string, p page) {
	Render(w, h.pages[name], status, p, &h.d.Log, "the "+name+" page")
}

// Render writes a page of the appliance's layout (t's "layout" template)
// with data, never cached; a template failure becomes a plain 500 with a
// logged reference, and nothing half-written.
func Render(w http.ResponseWriter, t *template.Template, status int, data any, log *zerolog.Logger, what string) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		ref := logging.Issue(log, err, "rendering "+what)
		http.Error(w, "internal error, reference "+ref, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail renders the error page; server errors (5xx with an error) get a
// logged reference.
func (h *Handler) fail(w http.ResponseWriter, id auth.Identity, status int, heading, message string, err error) {
	p := h.pageFor(id, heading)
	p.Heading, p.Message = heading, message
	if status >= 500 && err != nil {
		p.Ref = logging.Issue(&h.d.Log, err, heading)
	}
	h.render(w, status, "error", p)
}

// maxForm bounds form bodies.
const maxForm = 16 << 10

// parseForm reads a small urlencoded form body.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	return r.ParseForm()
}

// csrfOK checks the request's CSRF token (form field or header) against
// the login session's.
func csrfOK(r *http.Request, id auth.Identity) bool {
	token := r.Header.Get("X-CSRF-Token")
	if token == "" {
		token = r.PostFormValue("csrf_token")
	}
	return id.Login.CSRF != "" && subtle.ConstantTimeCompare([]byte(token), []byte(id.Login.CSRF)) == 1
}

// unsafeOK checks an unsafe request of a signed-in user, answering it when
// it fails.
func (h *Handler) unsafeOK(w http.ResponseWriter, r *http.Request, id auth.Identity) bool {
	if err := parseForm(w, r); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.fail(w, id, http.StatusRequestEntityTooLarge, "Request too large", "The form was larger than expected.", err)
		} else {
			h.fail(w, id, http.StatusBadRequest, "Bad request", "The form could not be read.", err)
		}
		return false
	}
	if !auth.SameOrigin(r) || !csrfOK(r, id) {
		h.fail(w, id, http.StatusForbidden, "Request refused", "This request did not come from this appliance's own pages (missing or wrong CSRF token). Reload the page and try again.", nil)
		return false
	}
	return true
}

// safeNext keeps redirects after sign-in on this site: a path from the
// root, with no backslash before its query. Browsers read a backslash as a
// slash, and http.Redirect cleans the path, so that /./\evil.example
// would leave as /\evil.example, another host's address to a browser.
func safeNext(next string) string {
	path, _, _ := strings.Cut(next, "?")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(path, "\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

// clientIP is the address a request came from.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// noone is the identity of an anonymous caller.
var noone = auth.Identity{}
