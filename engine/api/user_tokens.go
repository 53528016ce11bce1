package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
)

func tokenOf(t auth.Token) wire.Token {
	return wire.Token{ID: t.ID, Name: t.Name, Created: t.Created.UTC(), Expires: utc(t.Expires), LastUsed: utc(t.LastUsed)}
}

// utc is a nullable time in UTC.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (u *userAPI) listTokens(w http.ResponseWriter, _ *http.Request, id auth.Identity) error {
	out := []wire.Token{}
	for _, t := range u.d.Tokens.List(id.User) {
		out = append(out, tokenOf(t))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (u *userAPI) createToken(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	var req wire.TokenRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	secret, t, err := u.d.Tokens.Create(r.Context(), id.User, req.Name, req.Expires)
	if err != nil {
		err = &accounting.InvalidError{What: "token", Value: req.Name, Rule: err.Error()}
		u.d.Audit.Record(r.Context(), audit.TokenCreate, "", "name "+req.Name, err)
		return err
	}
	u.d.Audit.Record(r.Context(), audit.TokenCreate, t.ID, "name "+t.Name, nil)
	out := tokenOf(t)
	out.Secret = secret
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (u *userAPI) deleteToken(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	tid := r.PathValue("id")
	err := u.d.Tokens.Delete(r.Context(), id.User, tid)
	if !errors.Is(err, auth.ErrTokenNotFound) {
		u.d.Audit.Record(r.Context(), audit.TokenRemove, tid, "", err)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
