package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// SignInLinkTTL is how long a sign-in link works.
const SignInLinkTTL = 5 * time.Minute

// maxSignInLinks bounds the links waiting to be used; each is an
// administrator's request on the host. Beyond it, the oldest goes.
const maxSignInLinks = 100

// ErrBadSignInLink is the refusal of a sign-in link that is unknown, used
// or expired, or whose user can no longer sign in.
var ErrBadSignInLink = errors.New("the sign-in link is invalid, used or expired")

// SignInLinks are one-time sign-in links, made on the host (`db user
// sign-in-link`) for a user without a password: a random token, bound to
// the user, that signs a browser in once, within SignInLinkTTL. Only a
// hash of each token is kept, in memory: a restart forgets them all.
type SignInLinks struct {
	users UserReader
	now   func() time.Time

	mu    sync.Mutex
	links map[string]signInLink // by HashID of the token
	order []string              // their hashes, oldest first
}

type signInLink struct {
	user    string
	expires time.Time
}

// NewSignInLinks returns an empty set of links for the users of users.
func NewSignInLinks(users UserReader, now func() time.Time) *SignInLinks {
	if now == nil {
		now = time.Now
	}
	return &SignInLinks{users: users, now: now, links: map[string]signInLink{}}
}

// Make returns a new token that signs user in once. The caller has
// checked that user may sign in.
func (s *SignInLinks) Make(user string) string {
	token := randomToken()
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.order) > 0 && (len(s.order) >= maxSignInLinks || now.After(s.links[s.order[0]].expires)) {
		delete(s.links, s.order[0])
		s.order = s.order[1:]
	}
	h := HashID(token)
	s.links[h] = signInLink{user: user, expires: now.Add(SignInLinkTTL)}
	s.order = append(s.order, h)
	return token
}

// Check returns the user that token would sign in, without spending it.
func (s *SignInLinks) Check(ctx context.Context, token string) (accounting.User, error) {
	s.mu.Lock()
	l, ok := s.links[HashID(token)]
	s.mu.Unlock()
	return s.user(ctx, l, ok)
}

// Redeem spends token and returns the user it signs in. A token works
// once, before it expires, while its user exists and is not disabled;
// otherwise the error wraps ErrBadSignInLink.
func (s *SignInLinks) Redeem(ctx context.Context, token string) (accounting.User, error) {
	h := HashID(token)
	s.mu.Lock()
	l, ok := s.links[h]
	if ok {
		delete(s.links, h)
		s.order = slices.DeleteFunc(s.order, func(k string) bool { return k == h })
	}
	s.mu.Unlock()
	return s.user(ctx, l, ok)
}

// user is the user of link l, found (ok) in the set, if it still works.
func (s *SignInLinks) user(ctx context.Context, l signInLink, ok bool) (accounting.User, error) {
	if !ok || s.now().After(l.expires) {
		return accounting.User{}, ErrBadSignInLink
	}
	u, err := s.users.User(ctx, l.user)
	switch {
	case errors.Is(err, accounting.ErrNotFound):
		return accounting.User{}, fmt.Errorf("signing %s in by link: the user was removed: %w", l.user, ErrBadSignInLink)
	case err != nil:
		return accounting.User{}, fmt.Errorf("signing %s in by link: %w", l.user, err)
	case u.Disabled:
		return accounting.User{}, fmt.Errorf("signing %s in by link: the user is disabled: %w", l.user, ErrBadSignInLink)
	}
	return u, nil
}
