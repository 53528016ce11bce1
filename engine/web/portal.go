package web

import (
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/problem"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
)

// app is one grant on the portal.
type app struct {
	MappingID   string
	Name        string
	Image       string
	Description string
	// Icon is a data: URL of the image's icon label, which is checked to
	// be a base64 PNG when the image is parsed.
	Icon       template.URL
	Policy     []string
	Resolution bool
	// StartupData: the image declares startup data and the grant allows it.
	StartupData bool
	Running     *routes.Route
	Problem     string
	// AllowView: the running session may be shared; Shares are its shares.
	AllowView bool
	Shares    []shareView
	// Open is the running session's toolbar page, Since when it runs, and
	// Share its share dialog (when the policy allows sharing).
	Open, Since string
	Share       *shareDialog
}

// requireUser answers with a redirect to the sign-in page when r has no
// signed-in caller.
func (h *Handler) requireUser(w http.ResponseWriter, r *http.Request) (auth.Identity, bool) {
	id, ok := h.d.Resolver.Identify(r)
	switch {
	case ok:
	case crossSiteNavigation(r):
		openSameSite(w)
	default:
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	}
	return id, ok
}

// crossSiteNavigation says whether r is a page a link on another site
// opened: a mail, or a session's own origin in subdomain mode, which is
// another site on localhost (a name under no public suffix). The browser
// does not send the SameSite=Strict login cookie with it.
func crossSiteNavigation(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Sec-Fetch-Site") == "cross-site" && r.Header.Get("Sec-Fetch-Mode") == "navigate"
}

// openSameSite answers a cross-site navigation without the login cookie
// with a page that loads the same address again, now from the portal's own
// origin, with the cookie when the browser has one: a signed-in user who
// follows a link to the portal gets the page, not the sign-in form. Only a
// GET is loaded again, and what it shows reaches the browser's user only.
func openSameSite(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", pageCSP)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `<!doctype html><html lang="en"><meta charset="utf-8"><meta http-equiv="refresh" content="0"><title>SimPhoNy Remote</title><p>Opening SimPhoNy Remote…</p></html>`)
}

func (h *Handler) portal(w http.ResponseWriter, r *http.Request) {
	id, ok := h.requireUser(w, r)
	if !ok {
		return
	}
	h.renderPortal(w, r, id, http.StatusOK, "")
}

func (h *Handler) renderPortal(w http.ResponseWriter, r *http.Request, id auth.Identity, status int, msg string) {
	o, err := h.d.Portal.Overview(r.Context(), id.User)
	if err != nil {
		h.fail(w, id, http.StatusInternalServerError, "Applications unavailable", "Your applications could not be listed.", err)
		return
	}
	p := h.pageFor(id, "Your applications")
	p.Error = msg
	p.DockerDown = !o.Answering
	var recipients []string // read once, for the first share dialog
	for _, ga := range o.List {
		g := ga.Grant
		a := app{MappingID: g.MappingID, Name: g.Image, Image: g.Image, Policy: policyBadges(g.Policy), AllowView: g.Policy.AllowView}
		if ga.Running != nil {
			a.Running = ga.Running
			a.Shares = h.sharesOf(r.Context(), id.User, ga.Running.URLID)
			a.Open, a.Since = SessionPath(ga.Running.URLID), startedText(*ga.Running)
		}
		switch {
		case errors.Is(ga.Err, session.ErrImageNotFound):
			a.Problem = problem.Sentence(ga.Err)
		case errors.Is(ga.Err, session.ErrUnavailable):
			// The banner says it for every application.
		case !ga.Available:
			a.Problem = "This application cannot be described right now."
		default:
			img := ga.Image
			if img.UIName != "" {
				a.Name = img.UIName
			}
			a.Description = img.Description
			if img.Icon128 != "" {
				a.Icon = template.URL("data:image/png;base64," + img.Icon128)
			}
			a.Resolution = slices.Contains(img.Configurables(), protocol.ConfigResolution)
			a.StartupData = g.Policy.AllowStartupData && slices.Contains(img.Configurables(), protocol.ConfigStartupData)
		}
		if a.Running != nil && a.AllowView {
			if recipients == nil {
				recipients = h.recipients(r.Context(), id.User)
			}
			a.Share = h.shareDialog(r, id, a.Running.URLID, a.Name, "/", recipients)
		}
		p.Apps = append(p.Apps, a)
	}
	p.Shared = sharedViews(o.Shared)
	h.render(w, status, "portal", p)
}

func policyBadges(p accounting.Policy) []string {
	var out []string
	if p.AllowHome {
		out = append(out, "home workspace")
	}
	if !p.Volume.IsZero() {
		mode := "read-only"
		if p.Volume.Mode == "rw" {
			mode = "read-write"
		}
		out = append(out, "data at "+p.Volume.Target+" ("+mode+")")
	}
	if p.AllowView {
		out = append(out, "sharing allowed")
	}
	return out
}

// start begins a start in the background and sends the browser to the
// page that follows it.
func (h *Handler) start(w http.ResponseWriter, r *http.Request) {
	id, ok := h.requireUser(w, r)
	if !ok || !h.unsafeOK(w, r, id) {
		return
	}
	mapping := r.PostFormValue("mapping_id")
	a, err := h.d.Portal.Application(r.Context(), id.User, mapping)
	if errors.Is(err, accounting.ErrInvalid) {
		h.renderPortal(w, r, id, http.StatusNotFound, "That application does not exist (any more).")
		return
	}
	if err != nil {
		h.fail(w, id, http.StatusInternalServerError, "Applications unavailable", "Your applications could not be listed.", err)
		return
	}
	name := a.Grant.Image
	if a.Available && a.Image.UIName != "" {
		name = a.Image.UIName
	}
	if h.starts.begin(startKey(id.User, mapping), name, h.d.Now()) {
		ctx := audit.WithActor(r.Context(), audit.Actor{Name: id.User, Address: clientIP(r)})
		h.startBackground(ctx, id.User, mapping, startConf(r))
	}
	http.Redirect(w, r, "/starting/"+url.PathEscape(mapping), http.StatusSeeOther)
}

func (h *Handler) stop(w http.ResponseWriter, r *http.Request) {
	id, ok := h.requireUser(w, r)
	if !ok || !h.unsafeOK(w, r, id) {
		return
	}
	ctx := audit.WithActor(r.Context(), audit.Actor{Name: id.User, Address: clientIP(r)})
	if err := h.d.Portal.Stop(ctx, id.User, r.PostFormValue("url_id")); err != nil {
		if status := problem.Of(err).Status; status >= 500 {
			h.fail(w, id, status, "The application did not stop", problem.Sentence(err), err)
		} else {
			h.renderPortal(w, r, id, status, problem.Sentence(err))
		}
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
