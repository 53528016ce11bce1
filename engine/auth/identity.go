package auth

import (
	"context"
	"net/http"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// Identity is who made a request.
type Identity struct {
	User  string
	Admin bool
	// Login is the login session of a browser; zero for other callers.
	Login Login
}

// UserReader reads users.
type UserReader interface {
	User(ctx context.Context, name string) (accounting.User, error)
}

// Resolver finds who made a request from its session cookie.
type Resolver struct {
	Logins  *Logins
	Users   UserReader
	IsAdmin func(accounting.User) bool
}

// Identify returns the caller of r, if signed in with a valid session of a
// user who still exists and is not disabled.
func (res *Resolver) Identify(r *http.Request) (Identity, bool) {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return Identity{}, false
	}
	login, ok := res.Logins.Resolve(c.Value)
	if !ok {
		return Identity{}, false
	}
	u, err := res.Users.User(r.Context(), login.User)
	if err != nil || u.Disabled {
		return Identity{}, false
	}
	return Identity{User: u.Name, Admin: res.IsAdmin(u), Login: login}, true
}
