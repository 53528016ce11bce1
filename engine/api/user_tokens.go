package api

import (
	"net/http"
	"time"

	"github.com/simphony/simphony-remote/engine/api/wire"
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
	for _, t := range u.d.Portal.Tokens(id.User) {
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
	secret, t, err := u.d.Portal.CreateToken(r.Context(), id.User, req.Name, req.Expires)
	if err != nil {
		return err
	}
	out := tokenOf(t)
	out.Secret = secret
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (u *userAPI) deleteToken(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	if err := u.d.Portal.DeleteToken(r.Context(), id.User, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
