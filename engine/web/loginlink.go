package web

import (
	"errors"
	"net/http"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
)

// badLinkMessage is what a sign-in link that does not work says.
const badLinkMessage = "This sign-in link is invalid, was used already, or has expired (a link works once, within 5 minutes). Ask an administrator for a new one: on the appliance's host, simphony-remote db user sign-in-link NAME."

// linkPage shows a one-time sign-in link (GET /login/link?token=T): whom
// it signs in, and a button that posts it. A GET never spends the token,
// so that link previews and prefetchers cannot use it up; it does check
// it, and says at once when the link no longer works.
func (h *Handler) linkPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	u, err := h.checkLink(r, token, false)
	if err != nil {
		h.badLink(w, r, err)
		return
	}
	h.render(w, http.StatusOK, "loginlink", page{Title: "Sign in", Username: u.Name, Token: token})
}

// linkLogin spends a sign-in link (POST /login/link, the token in the
// form) and signs the browser in as its user, as a password does: an
// administrator lands on the admin pages, anybody else on the portal.
func (h *Handler) linkLogin(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, noone, http.StatusBadRequest, "Sign-in failed", "The sign-in form could not be read.", nil)
		return
	}
	if !auth.SameOrigin(r) {
		h.fail(w, noone, http.StatusForbidden, "Sign-in failed", "Sign in from this appliance's own page.", nil)
		return
	}
	u, err := h.checkLink(r, r.PostFormValue("token"), true)
	if err != nil {
		h.badLink(w, r, err)
		return
	}
	actx := audit.WithActor(r.Context(), audit.Actor{Name: u.Name, Address: clientIP(r)})
	h.d.Audit.Record(actx, audit.SignIn, u.Name, "by a one-time sign-in link", nil)
	next := "/"
	if h.d.Resolver != nil && h.d.Resolver.IsAdmin != nil && h.d.Resolver.IsAdmin(u) {
		next = "/admin/"
	}
	h.signIn(w, r, u.Name, "link", next)
}

// checkLink returns the user of a sign-in link's token, spending it when
// redeem.
func (h *Handler) checkLink(r *http.Request, token string, redeem bool) (accounting.User, error) {
	switch {
	case h.d.SignInLinks == nil:
		return accounting.User{}, auth.ErrBadSignInLink
	case redeem:
		return h.d.SignInLinks.Redeem(r.Context(), token)
	}
	return h.d.SignInLinks.Check(r.Context(), token)
}

// badLink renders the refusal of a sign-in link: 410 when it does not
// work (unknown, used, expired, or its user can no longer sign in).
func (h *Handler) badLink(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, auth.ErrBadSignInLink) {
		h.fail(w, noone, http.StatusInternalServerError, "Sign-in failed", "Signing in failed on the server.", err)
		return
	}
	h.d.Log.Info().Err(err).Str("address", clientIP(r)).Str("method", r.Method).Msg("sign-in link refused")
	h.fail(w, noone, http.StatusGone, "This sign-in link does not work", badLinkMessage, nil)
}
