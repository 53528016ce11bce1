// Package shares keeps who may use whose running session besides its owner:
// explicit, revocable, optionally view-only, optionally expiring. The proxy
// asks it on every request; revoking a share or its expiry also closes the
// live connections of that user to the session.
package shares

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Mode is what a share allows.
type Mode string

// Modes.
const (
	View    Mode = "view"    // see, not type or click
	Control Mode = "control" // use it as the owner would
)

// ErrNotFound is returned for a share that does not exist.
var ErrNotFound = errors.New("share not found")

// Share lets User use the session URLID.
type Share struct {
	URLID   string     `json:"url_id"`
	User    string     `json:"user"`
	Mode    Mode       `json:"mode"`
	Created time.Time  `json:"created"`
	Expires *time.Time `json:"expires,omitempty"`
}

func (s *Share) expired(now time.Time) bool { return s.Expires != nil && !now.Before(*s.Expires) }

// Store keeps shares across restarts.
type Store interface {
	PutShares(ctx context.Context, shares ...Share) error
	DeleteShares(ctx context.Context, keys ...Key) error
	Shares(ctx context.Context) ([]Share, error)
}

// Key names a share.
type Key struct{ URLID, User string }

// Closer ends the live connections of user to the session urlID.
type Closer func(urlID, user string)

// Shares is the set of shares, served from memory. Safe for concurrent use.
type Shares struct {
	store  Store
	closer Closer
	now    func() time.Time

	mu     sync.RWMutex
	byURL  map[string]map[string]*Share
	timers map[Key]*time.Timer
}

// New loads the stored shares; closer may be nil.
func New(ctx context.Context, store Store, closer Closer, now func() time.Time) (*Shares, error) {
	if now == nil {
		now = time.Now
	}
	if closer == nil {
		closer = func(string, string) {}
	}
	s := &Shares{store: store, closer: closer, now: now, byURL: map[string]map[string]*Share{}, timers: map[Key]*time.Timer{}}
	stored, err := store.Shares(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading shares: %w", err)
	}
	var expired []Key
	for i := range stored {
		sh := stored[i]
		if sh.expired(now()) {
			expired = append(expired, Key{sh.URLID, sh.User})
			continue
		}
		s.add(&sh)
	}
	if len(expired) > 0 {
		if err := store.DeleteShares(ctx, expired...); err != nil {
			return nil, fmt.Errorf("dropping expired shares: %w", err)
		}
	}
	return s, nil
}

// add indexes a share and schedules its expiry; s.mu held or not yet shared.
func (s *Shares) add(sh *Share) {
	m, ok := s.byURL[sh.URLID]
	if !ok {
		m = map[string]*Share{}
		s.byURL[sh.URLID] = m
	}
	m[sh.User] = sh
	k := Key{sh.URLID, sh.User}
	if t, ok := s.timers[k]; ok {
		t.Stop()
		delete(s.timers, k)
	}
	if sh.Expires != nil {
		s.timers[k] = time.AfterFunc(sh.Expires.Sub(s.now()), func() { s.expire(k) })
	}
}

// remove unindexes a share; s.mu held.
func (s *Shares) remove(k Key) bool {
	m, ok := s.byURL[k.URLID]
	if !ok {
		return false
	}
	if _, ok := m[k.User]; !ok {
		return false
	}
	delete(m, k.User)
	if len(m) == 0 {
		delete(s.byURL, k.URLID)
	}
	if t, ok := s.timers[k]; ok {
		t.Stop()
		delete(s.timers, k)
	}
	return true
}

func (s *Shares) expire(k Key) {
	s.mu.Lock()
	removed := s.remove(k)
	s.mu.Unlock()
	if removed {
		s.closer(k.URLID, k.User)
		_ = s.store.DeleteShares(context.Background(), k)
	}
}

// Put adds or replaces the share of sh.User on sh.URLID. Validating who
// may share with whom is the caller's business.
func (s *Shares) Put(ctx context.Context, sh Share) (Share, error) {
	if sh.Mode != View && sh.Mode != Control {
		return Share{}, fmt.Errorf("mode %q: want view or control", sh.Mode)
	}
	now := s.now()
	if sh.Expires != nil && !sh.Expires.After(now) {
		return Share{}, fmt.Errorf("the expiry %s is not in the future", sh.Expires.Format(time.RFC3339))
	}
	sh.Created = now.UTC()
	if err := s.store.PutShares(ctx, sh); err != nil {
		return Share{}, fmt.Errorf("storing the share: %w", err)
	}
	s.mu.Lock()
	prev, had := s.lookupLocked(sh.URLID, sh.User)
	c := sh
	s.add(&c)
	s.mu.Unlock()
	// From control down to view: connections made under control go.
	if had && prev.Mode == Control && sh.Mode == View {
		s.closer(sh.URLID, sh.User)
	}
	return sh, nil
}

func (s *Shares) lookupLocked(urlID, user string) (Share, bool) {
	if m, ok := s.byURL[urlID]; ok {
		if sh, ok := m[user]; ok && !sh.expired(s.now()) {
			return *sh, true
		}
	}
	return Share{}, false
}

// Lookup returns the unexpired share of user on urlID.
func (s *Shares) Lookup(urlID, user string) (Share, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lookupLocked(urlID, user)
}

// Remove revokes a share and closes its live connections.
func (s *Shares) Remove(ctx context.Context, urlID, user string) error {
	k := Key{urlID, user}
	s.mu.Lock()
	removed := s.remove(k)
	s.mu.Unlock()
	if !removed {
		return fmt.Errorf("share of %s with %s: %w", urlID, user, ErrNotFound)
	}
	s.closer(urlID, user)
	return s.store.DeleteShares(ctx, k)
}

// List returns the unexpired shares of a session, sorted by user.
func (s *Shares) List(urlID string) []Share {
	s.mu.RLock()
	var out []Share
	now := s.now()
	for _, sh := range s.byURL[urlID] {
		if !sh.expired(now) {
			out = append(out, *sh)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].User < out[j].User })
	return out
}

// With returns the unexpired shares with user, sorted by session.
func (s *Shares) With(user string) []Share {
	s.mu.RLock()
	var out []Share
	now := s.now()
	for _, m := range s.byURL {
		if sh, ok := m[user]; ok && !sh.expired(now) {
			out = append(out, *sh)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].URLID < out[j].URLID })
	return out
}

// DropSession removes every share of a session that ended, closing their
// connections.
func (s *Shares) DropSession(ctx context.Context, urlID string) error {
	var keys []Key
	s.mu.Lock()
	for user := range s.byURL[urlID] {
		keys = append(keys, Key{urlID, user})
	}
	for _, k := range keys {
		s.remove(k)
	}
	s.mu.Unlock()
	if len(keys) == 0 {
		return nil
	}
	for _, k := range keys {
		s.closer(k.URLID, k.User)
	}
	return s.store.DeleteShares(ctx, keys...)
}

// DropUser removes every share with user (a removed or disabled user).
func (s *Shares) DropUser(ctx context.Context, user string) error {
	var keys []Key
	s.mu.Lock()
	for urlID, m := range s.byURL {
		if _, ok := m[user]; ok {
			keys = append(keys, Key{urlID, user})
		}
	}
	for _, k := range keys {
		s.remove(k)
	}
	s.mu.Unlock()
	for _, k := range keys {
		s.closer(k.URLID, k.User)
	}
	if len(keys) == 0 {
		return nil
	}
	return s.store.DeleteShares(ctx, keys...)
}

// Prune drops the shares of sessions that no longer run.
func (s *Shares) Prune(ctx context.Context, running func(urlID string) bool) error {
	s.mu.RLock()
	var gone []string
	for urlID := range s.byURL {
		if !running(urlID) {
			gone = append(gone, urlID)
		}
	}
	s.mu.RUnlock()
	var errs []error
	for _, urlID := range gone {
		errs = append(errs, s.DropSession(ctx, urlID))
	}
	return errors.Join(errs...)
}
