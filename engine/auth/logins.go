package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// CookieName is the login session cookie. The __Host- prefix makes
// browsers insist on Secure, Path=/ and no Domain.
const CookieName = "__Host-simphony-session"

// Login is a server-side login session. Its secret lives only in the
// browser's cookie; the server keeps a SHA-256 of it.
type Login struct {
	IDHash   string    `json:"id_hash"`
	User     string    `json:"user"`
	CSRF     string    `json:"csrf"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	Address  string    `json:"address"`
}

// LoginStore keeps login sessions across restarts.
type LoginStore interface {
	PutLogins(ctx context.Context, logins ...Login) error
	DeleteLogins(ctx context.Context, idHashes ...string) error
	Logins(ctx context.Context) ([]Login, error)
}

// Logins are the signed-in browsers. Lookups are served from memory; the
// store is written on sign-in and sign-out, and last-seen times are
// written back at most once per flush interval (see Run).
type Logins struct {
	store     LoginStore
	idle, max time.Duration
	now       func() time.Time

	mu       sync.RWMutex
	byID     map[string]*Login // by IDHash
	dirty    map[string]bool   // last seen changed since the last flush
	onRevoke func(idHash string)
}

// OnRevoke sets what to do when a login is signed out or revoked (at
// sign-out, or when its user is removed, disabled or given a new
// password): close what it opened, such as WebSockets. Set it before use.
func (l *Logins) OnRevoke(fn func(idHash string)) { l.onRevoke = fn }

func (l *Logins) revoked(ids ...string) {
	if l.onRevoke == nil {
		return
	}
	for _, id := range ids {
		l.onRevoke(id)
	}
}

// NewLogins loads the stored login sessions, dropping expired ones.
func NewLogins(ctx context.Context, store LoginStore, idle, max time.Duration, now func() time.Time) (*Logins, error) {
	if now == nil {
		now = time.Now
	}
	l := &Logins{store: store, idle: idle, max: max, now: now, byID: map[string]*Login{}, dirty: map[string]bool{}}
	stored, err := store.Logins(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading login sessions: %w", err)
	}
	var expired []string
	for i := range stored {
		s := stored[i]
		if l.expired(&s, now()) {
			expired = append(expired, s.IDHash)
			continue
		}
		l.byID[s.IDHash] = &s
	}
	if len(expired) > 0 {
		if err := store.DeleteLogins(ctx, expired...); err != nil {
			return nil, fmt.Errorf("dropping expired login sessions: %w", err)
		}
	}
	return l, nil
}

func (l *Logins) expired(s *Login, now time.Time) bool {
	return now.Sub(s.LastSeen) > l.idle || now.Sub(s.Created) > l.max
}

// HashID is the stored form of a login secret.
func HashID(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24).
	return base64.RawURLEncoding.EncodeToString(b)
}

// Create signs user in from address and returns the secret for the cookie.
func (l *Logins) Create(ctx context.Context, user, address string) (string, Login, error) {
	secret := randomToken()
	now := l.now()
	s := Login{IDHash: HashID(secret), User: user, CSRF: randomToken(), Created: now, LastSeen: now, Address: address}
	if err := l.store.PutLogins(ctx, s); err != nil {
		return "", Login{}, fmt.Errorf("signing %s in: %w", user, err)
	}
	l.mu.Lock()
	l.byID[s.IDHash] = &s
	l.mu.Unlock()
	return secret, s, nil
}

// Cookie is the browser's cookie for a login's secret. It lasts as long as
// the login may (session_max), so that closing the browser does not sign
// out; the login itself still ends on the server after session_idle
// without requests, at session_max, at sign-out, and when its user is
// removed, disabled or given a new password.
func (l *Logins) Cookie(secret string) *http.Cookie {
	return &http.Cookie{
		Name: CookieName, Value: secret, Path: "/", MaxAge: int(l.max / time.Second),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode,
	}
}

// Resolve returns the login of a cookie secret, if it is valid, and notes
// the activity.
func (l *Logins) Resolve(secret string) (Login, bool) {
	if len(secret) != 43 { // 32 bytes in unpadded base64url
		return Login{}, false
	}
	return l.ResolveHash(HashID(secret))
}

// ResolveHash returns the login whose secret hashes to id, if it is valid,
// and notes the activity: a session's origin knows its login by this hash
// only (see Origins).
func (l *Logins) ResolveHash(id string) (Login, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.byID[id]
	if !ok {
		return Login{}, false
	}
	if l.expired(s, now) {
		delete(l.byID, id)
		l.dirty[id] = true // the flush deletes it from the store
		return Login{}, false
	}
	if now.Sub(s.LastSeen) > time.Second {
		s.LastSeen = now
		l.dirty[id] = true
	}
	return *s, true
}

// Revoke signs out the login of a secret.
func (l *Logins) Revoke(ctx context.Context, secret string) error {
	id := HashID(secret)
	l.mu.Lock()
	delete(l.byID, id)
	delete(l.dirty, id)
	l.mu.Unlock()
	l.revoked(id)
	return l.store.DeleteLogins(ctx, id)
}

// RevokeUser signs user out everywhere (after a password change, removal
// or disabling) and returns how many sessions ended.
func (l *Logins) RevokeUser(ctx context.Context, user string) (int, error) {
	return l.RevokeUserExcept(ctx, user, "")
}

// RevokeUserExcept signs user out everywhere but in the login whose id hash
// is keep ("" keeps none): the browser in which they changed their own
// password stays signed in. It returns how many sessions ended.
func (l *Logins) RevokeUserExcept(ctx context.Context, user, keep string) (int, error) {
	var ids []string
	l.mu.Lock()
	for id, s := range l.byID {
		if s.User == user && (keep == "" || id != keep) {
			ids = append(ids, id)
			delete(l.byID, id)
			delete(l.dirty, id)
		}
	}
	l.mu.Unlock()
	if len(ids) == 0 {
		return 0, nil
	}
	l.revoked(ids...)
	return len(ids), l.store.DeleteLogins(ctx, ids...)
}

// Count is the number of signed-in browsers.
func (l *Logins) Count() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.byID)
}

// Users is the number of distinct signed-in users.
func (l *Logins) Users() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	seen := map[string]bool{}
	for _, s := range l.byID {
		seen[s.User] = true
	}
	return len(seen)
}

// Flush writes changed last-seen times and drops expired sessions.
func (l *Logins) Flush(ctx context.Context) error {
	now := l.now()
	var put []Login
	var del []string
	l.mu.Lock()
	for id, s := range l.byID {
		if l.expired(s, now) {
			delete(l.byID, id)
			l.dirty[id] = true
		}
	}
	for id := range l.dirty {
		if s, ok := l.byID[id]; ok {
			put = append(put, *s)
		} else {
			del = append(del, id)
		}
	}
	l.dirty = map[string]bool{}
	l.mu.Unlock()
	if len(put) > 0 {
		if err := l.store.PutLogins(ctx, put...); err != nil {
			return err
		}
	}
	if len(del) > 0 {
		return l.store.DeleteLogins(ctx, del...)
	}
	return nil
}

// FlushInterval is how often Run writes last-seen times back.
const FlushInterval = time.Minute

// Run flushes every FlushInterval until ctx ends, then once more.
func (l *Logins) Run(ctx context.Context) error {
	t := time.NewTicker(FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return l.Flush(context.WithoutCancel(ctx))
		case <-t.C:
			if err := l.Flush(ctx); err != nil {
				return err
			}
		}
	}
}
