package auth

import (
	"sync"
	"time"
)

// Limiter locks a key (an account at an address, an address) out for a
// while after too many failures within a window: brute-force protection
// for sign-in.
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

// Throttle slows a key (an account) down after free failures, without ever
// locking it out for long: beyond them, attempts are admitted one at a
// time, each delay after the previous one, the delay doubling from base
// with each further failure up to max. The count is forgotten after a
// window without failures (so a steady attack stays slowed). A success
// does not reset it: the owner signing in does not buy an attacker free
// guesses.
type Throttle struct {
	free      int
	window    time.Duration
	base, max time.Duration
	now       func() time.Time

	mu   sync.Mutex
	keys map[string]*throttled
}

type throttled struct {
	n    int
	last time.Time // the latest failure
	next time.Time // the earliest next attempt
}

// NewThrottle allows free failures, then spaces attempts out until a
// window passes without failures.
func NewThrottle(free int, window, base, max time.Duration, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{free: free, window: window, base: base, max: max, now: now, keys: map[string]*throttled{}}
}

// delay is the spacing after n failures.
func (t *Throttle) delay(n int) time.Duration {
	if n < t.free {
		return 0
	}
	d := t.base
	for i := t.free; i < n && d < t.max; i++ {
		d *= 2
	}
	return min(d, t.max)
}

// stale says whether f is forgotten: a window without failures passed.
func (t *Throttle) stale(f *throttled, now time.Time) bool {
	return now.Sub(f.last) > t.window && !now.Before(f.next)
}

// entry returns key's state, starting afresh when it is stale.
func (t *Throttle) entry(key string, now time.Time) (*throttled, bool) {
	f, ok := t.keys[key]
	if ok && t.stale(f, now) {
		delete(t.keys, key)
		ok = false
	}
	return f, ok
}

// Take admits an attempt for key, or says how long to wait for one.
func (t *Throttle) Take(key string) (time.Duration, bool) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.entry(key, now)
	if !ok || f.n < t.free {
		return 0, true
	}
	if wait := f.next.Sub(now); wait > 0 {
		return wait, false
	}
	f.next = now.Add(t.delay(f.n))
	return 0, true
}

// Fail records a failure for key.
func (t *Throttle) Fail(key string) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.entry(key, now)
	if !ok {
		if len(t.keys) >= limiterCap {
			for k, g := range t.keys {
				if t.stale(g, now) {
					delete(t.keys, k)
				}
			}
		}
		f = &throttled{}
		t.keys[key] = f
	}
	f.n++
	f.last = now
	if next := now.Add(t.delay(f.n)); next.After(f.next) {
		f.next = next
	}
}

// Known remembers keys (an account at an address) for a while after they
// were added (a success), within limiterCap keys.
type Known struct {
	keep time.Duration
	now  func() time.Time

	mu   sync.Mutex
	keys map[string]time.Time
}

// NewKnown remembers each key for keep after its latest Add.
func NewKnown(keep time.Duration, now func() time.Time) *Known {
	if now == nil {
		now = time.Now
	}
	return &Known{keep: keep, now: now, keys: map[string]time.Time{}}
}

// Add remembers key from now on. At the cap, expired keys go, and if none
// has expired, any one.
func (k *Known) Add(key string) {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.keys[key]; !ok && len(k.keys) >= limiterCap {
		for o, t := range k.keys {
			if now.Sub(t) > k.keep {
				delete(k.keys, o)
			}
		}
		for o := range k.keys {
			if len(k.keys) < limiterCap {
				break
			}
			delete(k.keys, o)
		}
	}
	k.keys[key] = now
}

// Has says whether key was added within keep.
func (k *Known) Has(key string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	t, ok := k.keys[key]
	return ok && k.now().Sub(t) <= k.keep
}
