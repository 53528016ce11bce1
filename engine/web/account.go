package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/human"
	"github.com/simphony/simphony-remote/engine/portal"
	"github.com/simphony/simphony-remote/engine/problem"
)

// The account page (/account): the signed-in user changes their own
// password and makes and revokes their API tokens. Each form posts with
// the CSRF token; success redirects back with a flash, a refusal shows
// the page again with the message next to the field.

// accountView is what the account page shows.
type accountView struct {
	// PasswordLocked says why the password cannot change here, or is "".
	PasswordLocked string
	MinPassword    int
	// Errors are messages by field: old, new, again, token, expires.
	Errors map[string]string
	Tokens []tokenView
	// Secret is a token just made, with its name: shown this once.
	Secret, SecretName string
	// The new token form's values, after a refusal.
	TokenName, TokenExpires string
}

// tokenView is one API token in the list.
type tokenView struct {
	ID, Name, Created, LastUsed, Expires string
	Expired                              bool
}

// accountTime shows a time on the account page.
func accountTime(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request) {
	id, ok := h.requireUser(w, r)
	if !ok {
		return
	}
	f := takeFlash(w, r)
	h.renderAccount(w, id, http.StatusOK, accountView{Secret: f.Secret, SecretName: f.Name}, f.Notice, "")
}

// renderAccount shows the account page with av's errors and form values.
func (h *Handler) renderAccount(w http.ResponseWriter, id auth.Identity, status int, av accountView, notice, errMsg string) {
	av.MinPassword = auth.MinPasswordLen
	switch err := h.d.Portal.PasswordChangeable(); {
	case errors.Is(err, accounting.ErrReadOnly):
		av.PasswordLocked = "Passwords cannot be changed here: the appliance reads its accounts from a CSV file, which it never writes."
	case h.d.Open:
		av.PasswordLocked = "This appliance is in open mode: it signs anyone in without a password, so there is no password to change."
	}
	tokens := h.d.Portal.Tokens(id.User)
	slices.SortFunc(tokens, func(a, b auth.Token) int { return b.Created.Compare(a.Created) })
	now := h.d.Now()
	for _, t := range tokens {
		created := t.Created
		av.Tokens = append(av.Tokens, tokenView{
			ID: t.ID, Name: t.Name, Created: accountTime(&created, ""),
			LastUsed: accountTime(t.LastUsed, "never"), Expires: accountTime(t.Expires, "never"),
			Expired: t.Expires != nil && !t.Expires.After(now),
		})
	}
	p := h.pageFor(id, "Your account")
	p.Account = &av
	p.Notice, p.Error = notice, errMsg
	h.render(w, status, "account", p)
}

// changePassword changes the user's own password: the current one, and
// the new one twice.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	id, ok := h.requireUser(w, r)
	if !ok || !h.unsafeOK(w, r, id) {
		return
	}
	av := accountView{Errors: map[string]string{}}
	old, pw := r.PostFormValue("old"), r.PostFormValue("new")
	if pw != r.PostFormValue("again") {
		av.Errors["again"] = "The two new passwords differ: type the same one twice."
		h.renderAccount(w, id, http.StatusBadRequest, av, "", "")
		return
	}
	if h.d.Open {
		h.renderAccount(w, id, http.StatusConflict, av, "", "This appliance is in open mode: there is no password to change.")
		return
	}
	ctx := audit.WithActor(r.Context(), audit.Actor{Name: id.User, Address: clientIP(r)})
	err := h.d.Portal.ChangePassword(ctx, id.User, old, pw, id.Login.IDHash)
	status := problem.Of(err).Status
	var locked *auth.LockedError
	var weak *auth.PasswordError
	switch {
	case err == nil:
		setFlash(w, flash{Notice: "Your password has changed. Your other browsers were signed out."})
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	case errors.Is(err, portal.ErrWrongPassword):
		av.Errors["old"] = "This is not your current password."
	case errors.As(err, &locked):
		w.Header().Set("Retry-After", strconv.Itoa(int(locked.RetryAfter.Seconds())+1))
		av.Errors["old"] = "Too many wrong passwords. Try again in " + human.Duration(locked.RetryAfter) + "."
		status = http.StatusTooManyRequests
	case errors.As(err, &weak):
		av.Errors["new"] = sentence(weak.Err.Error())
	case errors.Is(err, accounting.ErrReadOnly):
		// The page says why.
	default:
		h.fail(w, id, http.StatusInternalServerError, "Password not changed", "Changing your password failed on the server.", err)
		return
	}
	h.renderAccount(w, id, status, av, "", "Your password has not changed.")
}

// createToken makes an API token, named, valid until the end of the day
// given (UTC) or until revoked; its secret is shown once, on the page the
// browser is sent back to.
func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) {
	id, ok := h.requireUser(w, r)
	if !ok || !h.unsafeOK(w, r, id) {
		return
	}
	name, day := r.PostFormValue("name"), r.PostFormValue("expires")
	av := accountView{Errors: map[string]string{}, TokenName: name, TokenExpires: day}
	var expires *time.Time
	if day != "" {
		d, err := time.Parse(time.DateOnly, day)
		if err != nil {
			av.Errors["expires"] = "Give the expiry as a date (YYYY-MM-DD), or leave it empty for a token that lasts until you revoke it."
			h.renderAccount(w, id, http.StatusBadRequest, av, "", "")
			return
		}
		end := d.Add(24 * time.Hour)
		expires = &end
	}
	ctx := audit.WithActor(r.Context(), audit.Actor{Name: id.User, Address: clientIP(r)})
	secret, t, err := h.d.Portal.CreateToken(ctx, id.User, name, expires)
	var inv *accounting.InvalidError
	switch {
	case err == nil:
		setFlash(w, flash{Secret: secret, Name: t.Name})
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	case errors.As(err, &inv):
		av.Errors["token"] = "No token made: " + inv.Rule + "."
		h.renderAccount(w, id, http.StatusBadRequest, av, "", "")
	default:
		h.fail(w, id, problem.Of(err).Status, "No token made", problem.Sentence(err), err)
	}
}

// deleteToken revokes one of the user's API tokens.
func (h *Handler) deleteToken(w http.ResponseWriter, r *http.Request) {
	id, ok := h.requireUser(w, r)
	if !ok || !h.unsafeOK(w, r, id) {
		return
	}
	tokenID := r.PostFormValue("id")
	name := tokenID
	for _, t := range h.d.Portal.Tokens(id.User) {
		if t.ID == tokenID {
			name = t.Name
		}
	}
	ctx := audit.WithActor(r.Context(), audit.Actor{Name: id.User, Address: clientIP(r)})
	switch err := h.d.Portal.DeleteToken(ctx, id.User, tokenID); {
	case err == nil:
		setFlash(w, flash{Notice: "The token “" + name + "” is revoked: it no longer works."})
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	case errors.Is(err, auth.ErrTokenNotFound):
		h.renderAccount(w, id, http.StatusNotFound, accountView{}, "", "That token does not exist (any more).")
	default:
		h.fail(w, id, problem.Of(err).Status, "Token not revoked", problem.Sentence(err), err)
	}
}
