package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/portal"
	"github.com/simphony/simphony-remote/engine/problem"
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

// shareDialog is the share dialog of id's session urlID, completing names
// from recipients.
func (h *Handler) shareDialog(r *http.Request, id auth.Identity, urlID, name, back string, recipients []string) *shareDialog {
	return &shareDialog{
		URLID: urlID, Name: name, CSRF: id.Login.CSRF, Back: back,
		Link:       "https://" + r.Host + SessionPath(urlID),
		Shares:     h.sharesOf(r.Context(), id.User, urlID),
		Recipients: recipients,
	}
}

// recipients are the names user shared with before, for the share
// dialog to complete; none when they cannot be read (the dialog works
// without).
func (h *Handler) recipients(ctx context.Context, user string) []string {
	names, err := h.d.Portal.Recipients(ctx, user)
	if err != nil {
		h.d.Log.Warn().Err(err).Str("user", user).Msg("listing the names to complete in the share dialog")
	}
	return names
}

func expiresText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return "until " + t.UTC().Format("2006-01-02 15:04 UTC")
}

// sharesOf are the shares of the user's session urlID, when it may be
// shared.
func (h *Handler) sharesOf(ctx context.Context, user, urlID string) []shareView {
	list, err := h.d.Portal.Shares(ctx, user, urlID)
	if err != nil {
		return nil
	}
	var out []shareView
	for _, s := range list {
		out = append(out, shareView{User: s.User, Mode: string(s.Mode), Expires: expiresText(s.Expires)})
	}
	return out
}

// sharedViews shows shared sessions, named as their images say when
// Docker told.
func sharedViews(list []portal.Shared) []sharedView {
	var out []sharedView
	for _, s := range list {
		rt := s.Route
		v := sharedView{Owner: rt.User, Name: rt.Image, Mode: string(s.Share.Mode), URL: SessionPath(rt.URLID), Expires: expiresText(s.Share.Expires)}
		if s.Available && s.Image.UIName != "" {
			v.Name = s.Image.UIName
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
	req := portal.ShareRequest{User: r.PostFormValue("user"), Mode: r.PostFormValue("mode")}
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
	if _, err := h.d.Portal.Share(ctx, id.User, r.PostFormValue("url_id"), req); err != nil {
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
	ctx := audit.WithActor(r.Context(), audit.Actor{Name: id.User, Address: clientIP(r)})
	if err := h.d.Portal.Unshare(ctx, id.User, r.PostFormValue("url_id"), r.PostFormValue("user")); err != nil {
		if errors.Is(err, shares.ErrNotFound) {
			h.renderPortal(w, r, id, http.StatusNotFound, "That share does not exist (any more).")
		} else {
			h.fail(w, id, problem.Of(err).Status, "The share did not end", problem.Sentence(err), err)
		}
		return
	}
	http.Redirect(w, r, sessionBack(r), http.StatusSeeOther)
}
