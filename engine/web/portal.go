package web

import (
	"errors"
	"html/template"
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
	Running    *routes.Route
	Problem    string
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
	if !ok {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	}
	return id, ok
}

func (h *Handler) portal(w http.ResponseWriter, r *http.Request) {
	id, ok := h.requireUser(w, r)
	if !ok {
		return
	}
	h.renderPortal(w, r, id, http.StatusOK, "")
}

func (h *Handler) renderPortal(w http.ResponseWriter, r *http.Request, id auth.Identity, status int, msg string) {
	grants, err := h.d.Accounts.Grants(r.Context(), id.User)
	if err != nil && !errors.Is(err, accounting.ErrNotFound) {
		h.fail(w, id, http.StatusInternalServerError, "Applications unavailable", "Your applications could not be listed.", err)
		return
	}
	running := map[string]routes.Route{}
	for _, s := range h.d.Sessions.List(id.User) {
		running[s.MappingID] = s
	}
	p := h.pageFor(id, "Your applications")
	p.Error = msg
	// One bounded round of lookups for the page: the applications and the
	// sessions shared with the user.
	shared := h.sharedSessions(id.User)
	refs := make([]string, 0, len(grants)+len(shared))
	for _, g := range grants {
		refs = append(refs, g.Image)
	}
	for _, s := range shared {
		refs = append(refs, s.route.Image)
	}
	described := session.Describe(r.Context(), h.d.Image, refs)
	p.DockerDown = !described.Answering
	for _, g := range grants {
		a := app{MappingID: g.MappingID, Name: g.Image, Image: g.Image, Policy: policyBadges(g.Policy), AllowView: g.Policy.AllowView}
		if s, ok := running[g.MappingID]; ok {
			a.Running = &s
			a.Shares = h.sharesOf(s.URLID)
			a.Open, a.Since = SessionPath(s.URLID), startedText(s)
		}
		img, ok := described.Images[g.Image]
		switch err := described.Errs[g.Image]; {
		case errors.Is(err, session.ErrImageNotFound):
			a.Problem = problem.Sentence(err)
		case errors.Is(err, session.ErrUnavailable):
			// The banner says it for every application.
		case !ok:
			a.Problem = "This application cannot be described right now."
		default:
			if img.UIName != "" {
				a.Name = img.UIName
			}
			a.Description = img.Description
			if img.Icon128 != "" {
				a.Icon = template.URL("data:image/png;base64," + img.Icon128)
			}
			a.Resolution = slices.Contains(img.Configurables(), protocol.ConfigResolution)
		}
		if a.Running != nil && a.AllowView {
			a.Share = h.shareDialog(r, id, a.Running.URLID, a.Name, "/")
		}
		p.Apps = append(p.Apps, a)
	}
	p.Shared = sharedViews(shared, described)
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
	grants, err := h.d.Accounts.Grants(r.Context(), id.User)
	if err != nil && !errors.Is(err, accounting.ErrNotFound) {
		h.fail(w, id, http.StatusInternalServerError, "Applications unavailable", "Your applications could not be listed.", err)
		return
	}
	i := slices.IndexFunc(grants, func(g accounting.Grant) bool { return g.MappingID == mapping })
	if i < 0 {
		h.renderPortal(w, r, id, http.StatusNotFound, "That application does not exist (any more).")
		return
	}
	if h.starts.begin(startKey(id.User, mapping), h.appName(r.Context(), grants[i]), h.d.Now()) {
		ctx := audit.WithActor(r.Context(), audit.Actor{Name: id.User, Address: clientIP(r)})
		h.startBackground(ctx, id.User, mapping, resolutionConf(r))
	}
	http.Redirect(w, r, "/starting/"+url.PathEscape(mapping), http.StatusSeeOther)
}

func (h *Handler) stop(w http.ResponseWriter, r *http.Request) {
	id, ok := h.requireUser(w, r)
	if !ok || !h.unsafeOK(w, r, id) {
		return
	}
	urlID := r.PostFormValue("url_id")
	err := h.d.Sessions.Stop(r.Context(), id.User, urlID)
	if !errors.Is(err, session.ErrNotFound) {
		h.d.Audit.Record(audit.WithActor(r.Context(), audit.Actor{Name: id.User, Address: clientIP(r)}), audit.SessionStop, urlID, "from the portal", err)
	}
	if err != nil {
		if status := problem.Of(err).Status; status >= 500 {
			h.fail(w, id, status, "The application did not stop", problem.Sentence(err), err)
		} else {
			h.renderPortal(w, r, id, status, problem.Sentence(err))
		}
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
