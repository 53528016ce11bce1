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

// Identify returns the caller of r, if it presents a valid token or login
// session of a user who still exists and is not disabled. A request that
// presents a bearer token is judged by it alone.
func (res *Resolver) Identify(r *http.Request) (Identity, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || res.Tokens == nil {
			return Identity{}, false
		}
		tok, ok := res.Tokens.Resolve(strings.TrimSpace(secret))
		if !ok {
			return Identity{}, false
		}
		return res.identity(r.Context(), tok.User, Identity{Via: ViaToken})
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
