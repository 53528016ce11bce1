package auth

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/human"
)

// Errors of Authenticate.
var (
	// ErrBadCredentials covers unknown users, wrong passwords and disabled
	// accounts alike, so that sign-in does not reveal which names exist.
	ErrBadCredentials = errors.New("wrong user name or password")
)

// LockedError says that sign-in is locked out for a while.
type LockedError struct{ RetryAfter time.Duration }

func (e *LockedError) Error() string {
	return "too many failed sign-ins: try again in " + human.Duration(e.RetryAfter)
}

// Users is what the authenticator reads and, in open mode, writes.
type Users interface {
	User(ctx context.Context, name string) (accounting.User, error)
	CreateUser(ctx context.Context, u accounting.User) error
}

// Brute-force limits (README, "Sign-in, lockout and sign-out"). A lock
// applies to an account at one address, so that nobody can lock an
// account's owner out from elsewhere; across addresses an account is only
// slowed down; an address is locked out whatever the names it tries.
const (
	pairFailures = 5  // per account and address, then that pair is locked out
	addrFailures = 20 // per address, any names, then the address is locked out
	failWindow   = 15 * time.Minute
	lockout      = 15 * time.Minute
	// Beyond userFree failures from any addresses, an account's attempts
	// are spaced out: 1 s, doubling with each failure, up to 30 s, until
	// 15 minutes pass without a failure.
	userFree  = 10
	slowBase  = time.Second
	slowLimit = 30 * time.Second
	// An account at an address it signed in from within knownFor is not
	// slowed down (only the per-pair lock applies), so an attack that keeps
	// the account's attempts spaced out does not keep its owner out.
	knownFor = 30 * 24 * time.Hour
	// verifications bounds concurrent argon2id hashes (19 MiB each).
	verifications = 4
)

// Authenticator checks sign-in attempts.
type Authenticator struct {
	users  Users
	open   bool
	admins []string
	byPair *Limiter
	byAddr *Limiter
	byUser *Throttle
	known  *Known // account and address pairs that signed in
	slots  chan struct{}
	dummy  string // a hash to verify against for unknown users
}

// NewAuthenticator checks passwords against users, or, when open, lets any
// valid name in. admins are administrators besides those flagged in the
// store.
func NewAuthenticator(users Users, open bool, admins []string, now func() time.Time) *Authenticator {
	dummy, _ := HashPassword("not a real password, for timing only")
	return &Authenticator{
		users: users, open: open, admins: admins,
		byPair: NewLimiter(pairFailures, failWindow, lockout, now),
		byAddr: NewLimiter(addrFailures, failWindow, lockout, now),
		byUser: NewThrottle(userFree, failWindow, slowBase, slowLimit, now),
		known:  NewKnown(knownFor, now),
		slots:  make(chan struct{}, verifications),
		dummy:  dummy,
	}
}

// NormalizeName turns what someone typed as a user name into the stored
// form: trimmed and lower case.
func NormalizeName(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// IsAdmin says whether u administers the appliance.
func (a *Authenticator) IsAdmin(u accounting.User) bool {
	return u.Admin || slices.Contains(a.admins, u.Name)
}

// addrKey limits IPv6 clients per /64, since one host usually has many.
func addrKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return "addr:" + addr
	}
	if ip.Is6() && !ip.Is4In6() {
		p, _ := ip.Prefix(64)
		return "net:" + p.String()
	}
	return "addr:" + ip.Unmap().String()
}

// Authenticate checks a sign-in from the client address addr and returns
// the user. It fails with a *LockedError while the name is locked out at
// this address, the address is locked out, or the name's attempts are
// being spaced out (unless the name signed in from this address before);
// and with ErrBadCredentials otherwise.
func (a *Authenticator) Authenticate(ctx context.Context, name, password, addr string) (accounting.User, error) {
	return a.limited(ctx, name, password, addr, a.check)
}

// Verify checks the password of a signed-in user at the client address
// addr (before they change it), under the limits of Authenticate and
// counting as a failed sign-in when wrong: a stolen browser session is no
// way round them. Even in the open mode, the password is checked: a user
// without one fails with ErrBadCredentials.
func (a *Authenticator) Verify(ctx context.Context, name, password, addr string) error {
	_, err := a.limited(ctx, name, password, addr, a.checkPassword)
	return err
}

// limited runs check under the brute-force limits.
func (a *Authenticator) limited(ctx context.Context, name, password, addr string, check func(ctx context.Context, name, password string) (accounting.User, error)) (accounting.User, error) {
	name = NormalizeName(name)
	ukey, akey := "user:"+name, addrKey(addr)
	pkey := ukey + " " + akey
	for _, k := range []struct {
		l   *Limiter
		key string
	}{{a.byPair, pkey}, {a.byAddr, akey}} {
		if left, locked := k.l.Locked(k.key); locked {
			return accounting.User{}, &LockedError{RetryAfter: left}
		}
	}
	if !a.known.Has(pkey) {
		if wait, ok := a.byUser.Take(ukey); !ok {
			return accounting.User{}, &LockedError{RetryAfter: wait}
		}
	}
	u, err := check(ctx, name, password)
	if errors.Is(err, ErrBadCredentials) {
		a.byPair.Fail(pkey)
		a.byAddr.Fail(akey)
		a.byUser.Fail(ukey)
		return accounting.User{}, err
	}
	if err != nil {
		return accounting.User{}, err
	}
	a.byPair.Reset(pkey)
	a.known.Add(pkey)
	return u, nil
}

func (a *Authenticator) check(ctx context.Context, name, password string) (accounting.User, error) {
	if !a.open {
		return a.checkPassword(ctx, name, password)
	}
	if err := accounting.ValidateUserName(name); err != nil {
		return accounting.User{}, ErrBadCredentials
	}
	u, err := a.users.User(ctx, name)
	if errors.Is(err, accounting.ErrNotFound) {
		u = accounting.User{Name: name}
		if err := a.users.CreateUser(ctx, u); err != nil && !errors.Is(err, accounting.ErrReadOnly) && !errors.Is(err, accounting.ErrExists) {
			return accounting.User{}, err
		}
		return u, nil
	}
	if err != nil {
		return accounting.User{}, err
	}
	if u.Disabled {
		return accounting.User{}, ErrBadCredentials
	}
	return u, nil
}

// checkPassword checks name's password.
func (a *Authenticator) checkPassword(ctx context.Context, name, password string) (accounting.User, error) {
	if err := accounting.ValidateUserName(name); err != nil {
		return accounting.User{}, ErrBadCredentials
	}
	u, err := a.users.User(ctx, name)
	if err != nil && !errors.Is(err, accounting.ErrNotFound) {
		return accounting.User{}, err
	}
	hash := u.PasswordHash
	if hash == "" {
		hash = a.dummy // spend the same time on unknown users
	}
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return accounting.User{}, ctx.Err()
	}
	verr := VerifyPassword(hash, password)
	<-a.slots
	if err != nil || u.PasswordHash == "" || verr != nil || u.Disabled {
		return accounting.User{}, ErrBadCredentials
	}
	return u, nil
}
