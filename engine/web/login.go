package web

import (
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/human"
)

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if _, ok := h.d.Resolver.Identify(r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.renderLogin(w, http.StatusOK, next, "", "")
}

func (h *Handler) renderLogin(w http.ResponseWriter, status int, next, username, msg string) {
	p := page{Title: "Sign in", Open: h.d.Open, Next: next, Username: username, Error: msg}
	p.CAFingerprint = CAFingerprint(h.d.CARoot)
	h.render(w, status, "login", p)
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderLogin(w, http.StatusBadRequest, "/", "", "The sign-in form could not be read.")
		return
	}
	next := safeNext(r.PostFormValue("next"))
	name := r.PostFormValue("username")
	if !auth.SameOrigin(r) {
		h.renderLogin(w, http.StatusForbidden, next, name, "Sign in from this appliance's own sign-in page.")
		return
	}
	u, err := h.d.Authenticator.Authenticate(r.Context(), name, r.PostFormValue("password"), clientIP(r))
	actx := audit.WithActor(r.Context(), audit.Actor{Name: auth.NormalizeName(name), Address: clientIP(r)})
	h.d.Audit.Record(actx, audit.SignIn, auth.NormalizeName(name), "", err)
	var locked *auth.LockedError
	switch {
	case errors.As(err, &locked):
		w.Header().Set("Retry-After", strconv.Itoa(int(locked.RetryAfter.Seconds())+1))
		h.d.Log.Warn().Str("user", auth.NormalizeName(name)).Str("address", clientIP(r)).Msg("sign-in refused: locked out")
		h.renderLogin(w, http.StatusTooManyRequests, next, name, "Too many failed sign-ins. Try again in "+human.Duration(locked.RetryAfter)+".")
		return
	case errors.Is(err, auth.ErrBadCredentials):
		h.d.Log.Info().Str("user", auth.NormalizeName(name)).Str("address", clientIP(r)).Msg("sign-in failed")
		h.renderLogin(w, http.StatusUnauthorized, next, name, "Wrong user name or password.")
		return
	case err != nil:
		h.fail(w, auth.Identity{}, http.StatusInternalServerError, "Sign-in failed", "Signing in failed on the server.", err)
		return
	}
	h.signIn(w, r, u.Name, "password", next)
}

// signIn gives the browser a login session of user, who was let in by
// via ("password", "link"), and sends it to next.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request, user, via, next string) {
	secret, _, err := h.d.Logins.Create(r.Context(), user, clientIP(r))
	if err != nil {
		h.fail(w, auth.Identity{}, http.StatusInternalServerError, "Sign-in failed", "Signing in failed on the server.", err)
		return
	}
	http.SetCookie(w, h.d.Logins.Cookie(secret))
	h.d.Log.Info().Str("user", user).Str("address", clientIP(r)).Str("by", via).Msg("signed in")
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) logoutPage(w http.ResponseWriter, r *http.Request) {
	id, ok := h.d.Resolver.Identify(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	h.render(w, http.StatusOK, "logout", h.pageFor(id, "Sign out"))
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	id, ok := h.d.Resolver.Identify(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if !h.unsafeOK(w, r, id) {
		return
	}
	if c, err := r.Cookie(auth.CookieName); err == nil {
		if err := h.d.Logins.Revoke(r.Context(), c.Value); err != nil {
			h.fail(w, id, http.StatusInternalServerError, "Sign-out failed", "Signing out failed on the server.", err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: auth.CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	h.d.Log.Info().Str("user", id.User).Msg("signed out")
	h.d.Audit.Record(audit.WithActor(r.Context(), audit.Actor{Name: id.User, Address: clientIP(r)}), audit.SignOut, id.User, "", nil)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// CAFingerprint is the SHA-256 of the local CA's root certificate that
// caRoot reads (Deps.CARoot), as colon-separated hex, or "" without a
// local CA (caRoot nil, or failing).
func CAFingerprint(caRoot func() ([]byte, error)) string {
	if caRoot == nil {
		return ""
	}
	pemBytes, err := caRoot()
	if err != nil || pemBytes == nil {
		return ""
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return ""
	}
	sum := sha256.Sum256(block.Bytes)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}
