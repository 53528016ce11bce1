package auth

import (
	"context"
	"net/http"
	"strings"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// Identity is who made a request.
type Identity struct {
	User  string
	Admin bool
	// Via is how: ViaCookie (a browser's login session) or ViaToken.
	Via string
	// Login is the login session of a browser; zero for other callers.
	Login Login
	// Token is the id of the API token a ViaToken caller presented.
	Token string
}

// How a caller authenticated.
const (
	ViaCookie = "cookie"
	ViaToken  = "token"
)

// UserReader reads users.
type UserReader interface {
	User(ctx context.Context, name string) (accounting.User, error)
}

// Resolver finds who made a request: from an API token in the
// Authorization header, else from the session cookie.
type Resolver struct {
	Logins  *Logins
	Tokens  *Tokens // nil: no API tokens
	Users   UserReader
	IsAdmin func(accounting.User) bool
}

// TokenOf returns the appliance's API token that an Authorization header
// value carries, as "Bearer TOKEN" or as "token TOKEN" (the spelling of
// JupyterHub and of simphony-remote's REST clients), the scheme in any
// case. It says false for anything else, which is not the appliance's:
// other schemes, and credentials without the token prefix (an
// application's own token, on its way to a session).
func TokenOf(header string) (string, bool) {
	scheme, secret, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "token")) {
		return "", false
	}
	secret = strings.TrimSpace(secret)
	return secret, strings.HasPrefix(secret, TokenPrefix)
}

// Identify returns the caller of r, if it presents a valid token or login
// session of a user who still exists and is not disabled. A request whose
// Authorization header carries one of the appliance's tokens is judged by
// it alone; any other Authorization header belongs to somebody else (an
// application in a session) and the cookie decides.
func (res *Resolver) Identify(r *http.Request) (Identity, bool) {
	for _, h := range r.Header.Values("Authorization") {
		secret, ok := TokenOf(h)
		if !ok {
			continue
		}
		if res.Tokens == nil {
			return Identity{}, false
		}
		tok, ok := res.Tokens.Resolve(secret)
		if !ok {
			return Identity{}, false
		}
		return res.identity(r.Context(), tok.User, Identity{Via: ViaToken, Token: tok.ID})
	}
	c, err := r.Cookie(CookieName)
	if err != nil {
		return Identity{}, false
	}
	login, ok := res.Logins.Resolve(c.Value)
	if !ok {
		return Identity{}, false
	}
	return res.identity(r.Context(), login.User, Identity{Via: ViaCookie, Login: login})
}

func (res *Resolver) identity(ctx context.Context, name string, id Identity) (Identity, bool) {
	u, err := res.Users.User(ctx, name)
	if err != nil || u.Disabled {
		return Identity{}, false
	}
	id.User, id.Admin = u.Name, res.IsAdmin(u)
	return id, true
}

// Stands says whether id, identified earlier, still stands: its login or
// API token is valid and its user exists and is not disabled. What holds
// on to a caller after the request that identified it (a WebSocket
// registered for sign-out to close) asks again once sign-out can find it.
func (res *Resolver) Stands(ctx context.Context, id Identity) bool {
	switch {
	case id.Via == ViaToken:
		if res.Tokens == nil || !res.Tokens.Stands(id.User, id.Token) {
			return false
		}
	case id.Login.IDHash != "":
		if l, ok := res.Logins.ResolveHash(id.Login.IDHash); !ok || l.User != id.User {
			return false
		}
	}
	_, ok := res.identity(ctx, id.User, id)
	return ok
}
