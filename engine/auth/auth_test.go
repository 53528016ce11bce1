package auth_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/auth"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func openStore(t *testing.T) (*boltdb.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db")
	s, err := boltdb.Init(path)
	if err != nil {
		t.Fatal(err)
	}
	return s, path
}

func TestLogins(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	store, path := openStore(t)
	l, err := auth.NewLogins(ctx, store, time.Hour, 24*time.Hour, c.now)
	if err != nil {
		t.Fatal(err)
	}
	secret, login, err := l.Create(ctx, "alice", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) != 43 || login.IDHash != auth.HashID(secret) || login.IDHash == secret || len(login.CSRF) != 43 {
		t.Fatalf("secret %q, login %+v", secret, login)
	}
	if got, ok := l.Resolve(secret); !ok || got.User != "alice" {
		t.Fatalf("Resolve = %+v, %v", got, ok)
	}
	flipped := secret[:42] + map[bool]string{true: "B", false: "A"}[secret[42] == 'A']
	for _, bad := range []string{"", "x", flipped, login.IDHash} {
		if _, ok := l.Resolve(bad); ok {
			t.Errorf("Resolve(%q) succeeded", bad)
		}
	}
	// The secret itself is never stored.
	stored, _ := store.Logins(ctx)
	if len(stored) != 1 || stored[0].IDHash != login.IDHash {
		t.Fatalf("stored = %+v", stored)
	}

	// Activity keeps it alive past the idle time; the flush persists it.
	c.add(50 * time.Minute)
	if _, ok := l.Resolve(secret); !ok {
		t.Fatal("expired before the idle time")
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	c.add(50 * time.Minute)
	store.Close()

	// A restart keeps the session (last seen 50 minutes ago).
	store, err = boltdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	l, err = auth.NewLogins(ctx, store, time.Hour, 24*time.Hour, c.now)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.Resolve(secret); !ok {
		t.Fatal("the login did not survive a restart")
	}
	// Idle expiry.
	c.add(61 * time.Minute)
	if _, ok := l.Resolve(secret); ok {
		t.Fatal("valid after the idle time")
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if stored, _ := store.Logins(ctx); len(stored) != 0 {
		t.Errorf("expired login still stored: %+v", stored)
	}

	// Absolute expiry, despite activity.
	s2, _, _ := l.Create(ctx, "bob", "::1")
	for range 25 {
		c.add(59 * time.Minute)
		l.Resolve(s2)
	}
	if _, ok := l.Resolve(s2); ok {
		t.Error("valid after the absolute maximum")
	}

	// Revocation, one and all of a user.
	s3, _, _ := l.Create(ctx, "carol", "::1")
	s4, _, _ := l.Create(ctx, "carol", "::1")
	s5, _, _ := l.Create(ctx, "dave", "::1")
	if err := l.Revoke(ctx, s3); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.Resolve(s3); ok {
		t.Error("valid after Revoke")
	}
	if n, err := l.RevokeUser(ctx, "carol"); err != nil || n != 1 {
		t.Errorf("RevokeUser = %d, %v", n, err)
	}
	if _, ok := l.Resolve(s4); ok {
		t.Error("valid after RevokeUser")
	}
	if _, ok := l.Resolve(s5); !ok || l.Count() != 1 || l.Users() != 1 {
		t.Errorf("another user's login suffered: count %d", l.Count())
	}
}

func TestLimiter(t *testing.T) {
	c := newClock()
	l := auth.NewLimiter(3, time.Minute, 10*time.Minute, c.now)
	for range 2 {
		l.Fail("k")
	}
	if _, locked := l.Locked("k"); locked {
		t.Fatal("locked after 2 of 3 failures")
	}
	l.Fail("k")
	left, locked := l.Locked("k")
	if !locked || left != 10*time.Minute {
		t.Fatalf("Locked = %v, %v after 3 failures", left, locked)
	}
	l.Reset("k") // a success cannot lift a lock
	if _, locked := l.Locked("k"); !locked {
		t.Fatal("Reset lifted a lock")
	}
	c.add(10*time.Minute + time.Second)
	if _, locked := l.Locked("k"); locked {
		t.Fatal("still locked after the lockout")
	}
	// Failures spread wider than the window do not add up.
	l.Fail("j")
	l.Fail("j")
	c.add(2 * time.Minute)
	l.Fail("j")
	if _, locked := l.Locked("j"); locked {
		t.Error("failures outside the window added up")
	}
}

// memUsers is a narrow in-memory Users.
type memUsers struct {
	mu sync.Mutex
	m  map[string]accounting.User
}

func (m *memUsers) User(_ context.Context, name string) (accounting.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.m[name]
	if !ok {
		return u, accounting.ErrNotFound
	}
	return u, nil
}

func (m *memUsers) CreateUser(_ context.Context, u accounting.User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[u.Name] = u
	return nil
}

func TestAuthenticate(t *testing.T) {
	ctx := t.Context()
	hash, _ := auth.HashPassword("correct horse")
	users := &memUsers{m: map[string]accounting.User{
		"alice": {Name: "alice", PasswordHash: hash},
		"dis":   {Name: "dis", PasswordHash: hash, Disabled: true},
		"nopw":  {Name: "nopw"},
	}}
	c := newClock()
	a := auth.NewAuthenticator(users, false, []string{"alice"}, c.now)

	if u, err := a.Authenticate(ctx, "  Alice ", "correct horse", "10.0.0.1"); err != nil || u.Name != "alice" || !a.IsAdmin(u) {
		t.Fatalf("Authenticate(Alice) = %+v, %v", u, err)
	}
	for _, tc := range []struct{ name, pw string }{
		{"alice", "wrong"}, {"nobody", "correct horse"}, {"dis", "correct horse"}, {"nopw", ""}, {"Bad/Name", "x"},
	} {
		if _, err := a.Authenticate(ctx, tc.name, tc.pw, "10.0.0.2"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("Authenticate(%q, %q) = %v, want ErrBadCredentials", tc.name, tc.pw, err)
		}
	}

	// Five failures lock the name out from that address only (see
	// TestLockoutIsPerAddress).
	for range 5 {
		_, _ = a.Authenticate(ctx, "alice", "guess", "10.0.0.3")
	}
	_, err := a.Authenticate(ctx, "alice", "correct horse", "10.0.0.3")
	var le *auth.LockedError
	if !errors.As(err, &le) || le.RetryAfter != 15*time.Minute {
		t.Fatalf("after 5 failures: %v, want a LockedError for 15 minutes", err)
	}
	c.add(16 * time.Minute)
	if _, err := a.Authenticate(ctx, "alice", "correct horse", "10.0.0.3"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}

	// Twenty failures lock an address out, whatever the names (invalid
	// names here, which fail without the cost of a hash).
	for i := range 20 {
		_, _ = a.Authenticate(ctx, fmt.Sprintf("X%d", i), "x", "192.0.2.9")
	}
	if _, err := a.Authenticate(ctx, "alice", "correct horse", "192.0.2.9"); !errors.As(err, &le) {
		t.Errorf("address not locked out: %v", err)
	}
	// IPv6 addresses of one /64 count together.
	for i := range 20 {
		_, _ = a.Authenticate(ctx, fmt.Sprintf("X%d", i), "x", fmt.Sprintf("2001:db8::%x", i+1))
	}
	if _, err := a.Authenticate(ctx, "alice", "correct horse", "2001:db8::ffff"); !errors.As(err, &le) {
		t.Errorf("IPv6 /64 not locked out: %v", err)
	}
}

func TestOpenMode(t *testing.T) {
	users := &memUsers{m: map[string]accounting.User{"dis": {Name: "dis", Disabled: true}}}
	a := auth.NewAuthenticator(users, true, nil, nil)
	u, err := a.Authenticate(t.Context(), "Newcomer", "", "10.0.0.1")
	if err != nil || u.Name != "newcomer" {
		t.Fatalf("open sign-in = %+v, %v", u, err)
	}
	if _, err := users.User(t.Context(), "newcomer"); err != nil {
		t.Error("open mode did not create the user")
	}
	if _, err := a.Authenticate(t.Context(), "dis", "", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("disabled user in open mode: %v", err)
	}
	if _, err := a.Authenticate(t.Context(), "../x", "", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("invalid name in open mode: %v", err)
	}
}

// An attacker guessing an account's password from one address locks only
// that address out of that account: the right password from another
// address still signs in at once, administrators included (issue 11: a
// lockout that anybody could trigger was a denial of service).
func TestLockoutIsPerAddress(t *testing.T) {
	ctx := t.Context()
	hash, _ := auth.HashPassword("correct horse")
	users := &memUsers{m: map[string]accounting.User{
		"admin": {Name: "admin", PasswordHash: hash, Admin: true},
		"alice": {Name: "alice", PasswordHash: hash},
		"bob":   {Name: "bob", PasswordHash: hash},
	}}
	for _, victim := range []string{"admin", "alice"} {
		t.Run(victim, func(t *testing.T) {
			c := newClock()
			a := auth.NewAuthenticator(users, false, nil, c.now)
			const attacker = "198.51.100.7"
			for i := range 5 {
				if _, err := a.Authenticate(ctx, victim, fmt.Sprint("guess", i), attacker); !errors.Is(err, auth.ErrBadCredentials) {
					t.Fatalf("guess %d: %v", i, err)
				}
			}
			var le *auth.LockedError
			for range 50 { // the attacker goes on hammering
				_, err := a.Authenticate(ctx, victim, "guess", attacker)
				if !errors.As(err, &le) || le.RetryAfter <= 0 || le.RetryAfter > 15*time.Minute {
					t.Fatalf("the attacker's address after 5 failures: %v, want locked out", err)
				}
				c.add(time.Second)
			}
			if _, err := a.Authenticate(ctx, victim, "correct horse", attacker); !errors.As(err, &le) {
				t.Errorf("the right password from the attacker's address: %v, want locked out", err)
			}
			if u, err := a.Authenticate(ctx, victim, "correct horse", "203.0.113.5"); err != nil || u.Name != victim {
				t.Errorf("the right password from another address: %v, want signed in at once", err)
			}
			if _, err := a.Authenticate(ctx, "bob", "correct horse", attacker); err != nil {
				t.Errorf("another account from the attacker's address: %v, want signed in", err)
			}
		})
	}
}

// Failures for one account from many addresses slow its sign-ins down (a
// few seconds at most between attempts), never lock it out.
func TestManyAddressesSlowDown(t *testing.T) {
	ctx := t.Context()
	hash, _ := auth.HashPassword("correct horse")
	users := &memUsers{m: map[string]accounting.User{"admin": {Name: "admin", PasswordHash: hash, Admin: true}}}
	c := newClock()
	a := auth.NewAuthenticator(users, false, nil, c.now)
	addr := func(i int) string { return fmt.Sprintf("10.7.%d.%d", i/200, i%200+1) }

	// Ten failures from ten addresses: not slowed yet.
	for i := range 10 {
		if _, err := a.Authenticate(ctx, "admin", "guess", addr(i)); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	// Beyond, attempts are spaced out, whoever makes them.
	_, err := a.Authenticate(ctx, "admin", "correct horse", "203.0.113.5")
	var le *auth.LockedError
	if !errors.As(err, &le) || le.RetryAfter <= 0 || le.RetryAfter > time.Second {
		t.Fatalf("right after 10 failures: %v, want a wait of at most 1 s", err)
	}
	// A botnet goes on, one guess whenever it may: the wait grows, up to
	// a bound.
	var longest time.Duration
	guesses, began := 0, c.now()
	for i := 10; i < 70; i++ {
		_, err := a.Authenticate(ctx, "admin", "guess", addr(i))
		switch {
		case errors.Is(err, auth.ErrBadCredentials):
			guesses++
		case errors.As(err, &le):
			if le.RetryAfter > 30*time.Second {
				t.Fatalf("attempt %d: told to wait %s, more than 30 s", i, le.RetryAfter)
			}
			longest = max(longest, le.RetryAfter)
			c.add(le.RetryAfter)
		default:
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if took := c.now().Sub(began); longest < 20*time.Second || took < time.Duration(guesses-10)*20*time.Second {
		t.Errorf("%d guesses got through in %s, the longest wait was %s: not slowed down", guesses, took, longest)
	}
	// A steady attack stays slowed down: the count is only forgotten after
	// 15 minutes without failures.
	for i := range 40 {
		_, err := a.Authenticate(ctx, "admin", "guess", addr(1000+i))
		if errors.As(err, &le) {
			c.add(le.RetryAfter)
			_, err = a.Authenticate(ctx, "admin", "guess", addr(1000+i))
		}
		if !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("a guess when admitted: %v", err)
		}
		if _, err := a.Authenticate(ctx, "admin", "guess", "10.8.0.3"); !errors.As(err, &le) || le.RetryAfter != 30*time.Second {
			t.Fatalf("right after a guess, %s into the attack: %v, want a wait of 30 s", c.now().Sub(began), err)
		}
	}
	c.add(16 * time.Minute)
	if _, err := a.Authenticate(ctx, "admin", "guess", "10.8.0.4"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("after 15 minutes without failures: %v, want the count forgotten", err)
	}
	// The owner waits at most the bound, then signs in.
	_, err = a.Authenticate(ctx, "admin", "correct horse", "203.0.113.5")
	if errors.As(err, &le) {
		c.add(le.RetryAfter)
		_, err = a.Authenticate(ctx, "admin", "correct horse", "203.0.113.5")
	}
	if err != nil {
		t.Fatalf("the right password after the wait: %v", err)
	}
}

// A botnet that keeps an account's throttle busy, polling so that it takes
// every attempt the throttle admits, does not keep the owner out: an
// address the owner signed in from before is not throttled (it still faces
// the per-address lock) (issue 11, item 6: no hard lock of the right
// password from elsewhere).
func TestOwnerSignsInDuringAttack(t *testing.T) {
	ctx := t.Context()
	hash, _ := auth.HashPassword("correct horse")
	users := &memUsers{m: map[string]accounting.User{"admin": {Name: "admin", PasswordHash: hash, Admin: true}}}
	c := newClock()
	a := auth.NewAuthenticator(users, false, nil, c.now)
	const home = "203.0.113.5"
	if _, err := a.Authenticate(ctx, "admin", "correct horse", home); err != nil {
		t.Fatalf("first sign-in: %v", err)
	}
	c.add(24 * time.Hour)

	next := 0
	attack := func() { // one poll of the botnet, from a fresh address
		next++
		_, _ = a.Authenticate(ctx, "admin", "guess", fmt.Sprintf("10.9.%d.%d", next/200, next%200+1))
	}
	for range 600 { // a minute of polling, ten per second
		attack()
		c.add(100 * time.Millisecond)
	}
	var le *auth.LockedError
	if _, err := a.Authenticate(ctx, "admin", "guess", "198.51.100.1"); !errors.As(err, &le) {
		t.Fatalf("an attacker's fresh address during the attack: %v, want throttled", err)
	}
	for i := range 20 { // the owner tries now and then, right after a poll
		attack()
		if u, err := a.Authenticate(ctx, "admin", "correct horse", home); err != nil || u.Name != "admin" {
			t.Fatalf("the owner's sign-in %d from a known address during the attack: %v", i, err)
		}
		c.add(3 * time.Second)
	}
	// A mistyped password from the known address still counts towards its
	// own lock.
	for range 5 {
		_, _ = a.Authenticate(ctx, "admin", "typo", home)
	}
	if _, err := a.Authenticate(ctx, "admin", "correct horse", home); !errors.As(err, &le) {
		t.Errorf("5 failures from the known address: %v, want locked out", err)
	}
}

// Known pairs are forgotten keep after their latest success.
func TestKnown(t *testing.T) {
	c := newClock()
	k := auth.NewKnown(30*24*time.Hour, c.now)
	k.Add("user:alice addr:10.0.0.1")
	c.add(29 * 24 * time.Hour)
	if !k.Has("user:alice addr:10.0.0.1") || k.Has("user:alice addr:10.0.0.2") {
		t.Fatal("Has after 29 days: want the added key only")
	}
	k.Add("user:alice addr:10.0.0.1") // signed in again
	c.add(29 * 24 * time.Hour)
	if !k.Has("user:alice addr:10.0.0.1") {
		t.Error("forgotten 29 days after the latest success")
	}
	c.add(2 * 24 * time.Hour)
	if k.Has("user:alice addr:10.0.0.1") {
		t.Error("remembered 31 days after the latest success")
	}
}
