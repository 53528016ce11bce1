package auth

import (
	"sync"
	"time"
)

// Limiter locks a key (a user name, an address) out for a while after too
// many failures within a window: brute-force protection for sign-in.
type Limiter struct {
	max     int
	window  time.Duration
	lockout time.Duration
	now     func() time.Time

	mu   sync.Mutex
	keys map[string]*failures
}

type failures struct {
	n           int
	first       time.Time
	lockedUntil time.Time
}

// limiterCap bounds the keys a Limiter remembers; beyond it, stale ones go.
const limiterCap = 100_000

// NewLimiter allows max failures per window, then locks the key out for
// lockout.
func NewLimiter(max int, window, lockout time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{max: max, window: window, lockout: lockout, now: now, keys: map[string]*failures{}}
}

// Locked says whether key is locked out, and for how much longer.
func (l *Limiter) Locked(key string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.keys[key]
	if !ok {
		return 0, false
	}
	if left := f.lockedUntil.Sub(l.now()); left > 0 {
		return left, true
	}
	return 0, false
}

// Fail records a failure for key.
func (l *Limiter) Fail(key string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.keys[key]
	if !ok || now.Sub(f.first) > l.window && now.After(f.lockedUntil) {
		if len(l.keys) >= limiterCap {
			l.prune(now)
		}
		f = &failures{first: now}
		l.keys[key] = f
	}
	f.n++
	if f.n >= l.max {
		f.lockedUntil = now.Add(l.lockout)
		f.n, f.first = 0, now
	}
}

// Reset forgets the failures of key (after a success).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	if f, ok := l.keys[key]; ok && !l.now().Before(f.lockedUntil) {
		delete(l.keys, key)
	}
	l.mu.Unlock()
}

func (l *Limiter) prune(now time.Time) {
	for k, f := range l.keys {
		if now.Sub(f.first) > l.window && now.After(f.lockedUntil) {
			delete(l.keys, k)
		}
	}
}
