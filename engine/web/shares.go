package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/problem"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/shares"
)

// shareView is a share of one of the user's sessions, on the portal.
type shareView struct {
	User, Mode, Expires string
}

// sharedView is a session somebody shares with the user, on the portal.
type sharedView struct {
	Owner, Name, Mode, URL, Expires string
}

// shareDialog is the share dialog of one of the user's running sessions,
// on the portal and on the toolbar page.
type shareDialog struct {
	URLID, Name, CSRF string
	// Back is where its forms return to (sessionBack).
	Back string
	// Link is the toolbar page's address, for the people it is shared with.
	Link       string
	Shares     []shareView
	Recipients []string
}

func (h *Handler) shareDialog(r *http.Request, id auth.Identity, urlID, name, back string) *shareDialog {
	return &shareDialog{
		URLID: urlID, Name: name, CSRF: id.Login.CSRF, Back: back,
		Link:   "https://" + r.Host + SessionPath(urlID),
		Shares: h.sharesOf(urlID),
	}
}

func expiresText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return "until " + t.UTC().Format("2006-01-02 15:04 UTC")
}

func (h *Handler) sharesOf(urlID string) []shareView {
	var out []shareView
	for _, s := range h.d.Shares.List(urlID) {
		out = append(out, shareView{User: s.User, Mode: string(s.Mode), Expires: expiresText(s.Expires)})
	}
	return out
}

// sharedSession is a share with the user of a session that still runs.
type sharedSession struct {
	share shares.Share
	route routes.Route
}

// sharedSessions lists the sessions shared with user that still run.
func (h *Handler) sharedSessions(user string) []sharedSession {
	var out []sharedSession
	for _, s := range h.d.Shares.With(user) {
		if rt, ok := h.d.Sessions.Get(s.URLID); ok {
			out = append(out, sharedSession{share: s, route: rt})
		}
	}
	return out
}

// sharedViews shows shared sessions, named and linked as their images
// say when Docker told.
func sharedViews(list []sharedSession, described session.Described) []sharedView {
	var out []sharedView
	for _, s := range list {
		rt := s.route
		v := sharedView{Owner: rt.User, Name: rt.Image, Mode: string(s.share.Mode), URL: SessionPath(rt.URLID), Expires: expiresText(s.share.Expires)}
		if img, ok := described.Images[rt.Image]; ok && img.UIName != "" {
			v.Name = img.UIName
		}
		out = append(out, v)
	}
	return out
}

// share shares a running session from the portal's form.
func (h *Handler) share(w http.ResponseWriter, r *http.Request) {
	id, ok := h.requireUser(w, r)
	if !ok || !h.unsafeOK(w, r, id) {
		return
	}
	req := wire.ShareRequest{User: auth.NormalizeName(r.PostFormValue("user")), Mode: r.PostFormValue("mode")}
	if hours := r.PostFormValue("hours"); hours != "" {
		n, err := strconv.Atoi(hours)
		if err != nil || n < 1 || n > 24*365 {
			h.renderPortal(w, r, id, http.StatusBadRequest, "Share for a whole number of hours (1 or more), or leave it empty.")
			return
		}
		t := h.d.Now().Add(time.Duration(n) * time.Hour)
		req.Expires = &t
	}
	ctx := audit.WithActor(r.Context(), audit.Actor{Name: id.User, Address: clientIP(r)})
	if _, err := h.d.Share(ctx, id.User, r.PostFormValue("url_id"), req); err != nil {
		msg := problem.Sentence(err)
		var inv *accounting.InvalidError
		switch {
		case errors.As(err, &inv):
			msg = "Not shared: " + inv.Rule + " (" + inv.What + " " + inv.Value + ")."
		case errors.Is(err, shares.ErrNotAllowed):
			msg = "Not shared: " + shares.ErrNotAllowed.Error() + "."
		case errors.Is(err, shares.ErrRecipient):
			msg = "Not shared: " + shares.ErrRecipient.Error() + "."
		}
		h.renderPortal(w, r, id, problem.Of(err).Status, msg)
		return
	}
	http.Redirect(w, r, sessionBack(r), http.StatusSeeOther)
}

// unshare ends a share from the portal.
func (h *Handler) unshare(w http.ResponseWriter, r *http.Request) {
	id, ok := h.requireUser(w, r)
	if !ok || !h.unsafeOK(w, r, id) {
		return
	}
	urlID, user := r.PostFormValue("url_id"), r.PostFormValue("user")
	owned := false
	for _, s := range h.d.Sessions.List(id.User) {
		owned = owned || s.URLID == urlID
	}
	err := shares.ErrNotFound
	if owned {
		err = h.d.Shares.Remove(r.Context(), urlID, user)
	}
	if err != nil {
		h.renderPortal(w, r, id, http.StatusNotFound, "That share does not exist (any more).")
		return
	}
	h.d.Audit.Record(audit.WithActor(r.Context(), audit.Actor{Name: id.User, Address: clientIP(r)}), audit.ShareRemove, urlID, "with "+user, nil)
	http.Redirect(w, r, sessionBack(r), http.StatusSeeOther)
}
