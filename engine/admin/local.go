package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/volumes"
)

// Revoker signs a user out of every browser; *auth.Logins is one.
type Revoker interface {
	RevokeUser(ctx context.Context, user string) (int, error)
}

// SessionStopper stops running sessions whose access was revoked.
type SessionStopper interface {
	// StopUser stops every session of user.
	StopUser(ctx context.Context, user string) error
	// StopMapping stops every session started through a grant.
	StopMapping(ctx context.Context, mappingID string) error
}

// Options are Local's optional collaborators; any may be nil.
type Options struct {
	// Images verifies images for CreateApplication with Verify. Without
	// it, verifying fails with ErrUnavailable.
	Images ImageChecker
	// Revoker signs users out after they are removed, disabled or get a
	// new password.
	Revoker Revoker
	// Sessions stops sessions after a user, an application or a grant is
	// removed.
	Sessions SessionStopper
	// Audit is the audit log that Audit reads. Without it, Audit fails
	// with ErrUnavailable.
	Audit audit.Store
	// Log records every change Local makes, or tries to make, with the
	// Actor of the context it is asked with. Nil records nothing.
	Log *audit.Log
	// Volumes checks a grant's volume on the host. Nil refuses every
	// volume, as an empty [volumes] allowed_roots does.
	Volumes VolumeChecker

	// Running are the running sessions, for Sessions, StopSession and
	// Stats. Without it, none runs and StopSession finds none.
	Running Running
	// Shares lists a running session's viewers; nil: none.
	Shares ShareLister
	// Docker is the Docker Engine's images, for Images and its kin and
	// the Docker state of Stats. Without it, they fail with
	// ErrUnavailable.
	Docker Docker
	// Starters builds the starter images (images.BuildStarters), writing
	// its progress to progress; nil: BuildStarters fails with
	// ErrUnavailable.
	Starters func(ctx context.Context, progress io.Writer) error
	// History is the last 24 hours of sessions (engine/history); nil:
	// Stats shows none.
	History History
	// SignInLink makes a one-time sign-in link (the full URL) for a user
	// that may sign in; nil (no running appliance): SignInLink fails with
	// ErrUnavailable.
	SignInLink func(ctx context.Context, user string) (string, error)
	// SignedIn counts the signed-in users; nil: none.
	SignedIn func() int
	// LogRing is the running appliance's recent log, for Log; nil (no
	// running appliance): Log fails with ErrUnavailable.
	LogRing LogRing
	// Process is what Info says about the running appliance; its zero
	// value: none runs.
	Process Process
	// Realm, Backend ("bbolt" or "csv") and Warnings are what Info says;
	// a csv Backend is read-only.
	Realm    string
	Backend  string
	Warnings []string
	// DataDir and HomesDir are the directories whose disk use Stats
	// shows; empty: unknown.
	DataDir, HomesDir string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// VolumeChecker checks a volume's source on the host; *volumes.Checker is
// one.
type VolumeChecker interface {
	Check(v accounting.Volume) error
}

// Local is the Service on an accounting store in this process.
type Local struct {
	store accounting.Store
	opts  Options

	// limitsMu makes SetLimits' read, change and write one step.
	limitsMu sync.Mutex

	startersMu sync.Mutex
	starters   starters
	closed     bool // Close was called
	disk       diskCache
}

// NewLocal returns the Service on store. It does not close the store.
func NewLocal(store accounting.Store, opts Options) *Local {
	if opts.Volumes == nil {
		opts.Volumes = volumes.New(volumes.Options{})
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Local{store: store, opts: opts}
}

// FollowUpError says that a change was made but what should have followed
// it (signing the user out, stopping sessions) failed. It deliberately
// matches none of the accounting errors: the change itself succeeded.
type FollowUpError struct {
	Done string // what was changed, e.g. "removed user alice"
	Err  error
}

func (e *FollowUpError) Error() string { return e.Done + ", but " + e.Err.Error() }

// followUp runs the hooks that apply after a change and reports their
// failures as one FollowUpError.
func followUp(done string, steps ...func() error) error {
	var errs []error
	for _, step := range steps {
		if err := step(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &FollowUpError{Done: done, Err: errors.Join(errs...)}
}

func (l *Local) signOut(ctx context.Context, user string) func() error {
	return func() error {
		if l.opts.Revoker == nil {
			return nil
		}
		if _, err := l.opts.Revoker.RevokeUser(ctx, user); err != nil {
			return fmt.Errorf("signing %s out: %w", user, err)
		}
		return nil
	}
}

func (l *Local) stopUser(ctx context.Context, user string) func() error {
	return func() error {
		if l.opts.Sessions == nil {
			return nil
		}
		if err := l.opts.Sessions.StopUser(ctx, user); err != nil {
			return fmt.Errorf("stopping the sessions of %s: %w", user, err)
		}
		return nil
	}
}

func (l *Local) stopMappings(ctx context.Context, ids []string) func() error {
	return func() error {
		if l.opts.Sessions == nil {
			return nil
		}
		var errs []error
		for _, id := range ids {
			if err := l.opts.Sessions.StopMapping(ctx, id); err != nil {
				errs = append(errs, fmt.Errorf("stopping the sessions of grant %s: %w", id, err))
			}
		}
		return errors.Join(errs...)
	}
}

// Users implements Service.
func (l *Local) Users(ctx context.Context, withGrants bool) ([]User, error) {
	users, err := l.store.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	out := make([]User, 0, len(users))
	for _, u := range users {
		v := userOf(u)
		if withGrants {
			grants, err := l.store.Grants(ctx, u.Name)
			if errors.Is(err, accounting.ErrNotFound) {
				continue // removed since the list was read
			}
			if err != nil {
				return nil, err
			}
			v.Grants = nonNil(grants)
		}
		out = append(out, v)
	}
	return out, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// User implements Service.
func (l *Local) User(ctx context.Context, name string) (User, error) {
	u, err := l.store.User(ctx, name)
	if err != nil {
		return User{}, err
	}
	return userOf(u), nil
}

// CreateUser implements Service.
func (l *Local) CreateUser(ctx context.Context, nu NewUser) (_ User, err error) {
	defer func() { l.record(ctx, audit.UserCreate, nu.Name, newUserDetail(nu), err) }()
	if err := accounting.ValidateUserName(nu.Name); err != nil {
		return User{}, fmt.Errorf("creating user: %w", err)
	}
	u := accounting.User{Name: nu.Name, Admin: nu.Admin}
	if nu.Password != "" {
		if err := auth.CheckNewPassword(nu.Password); err != nil {
			return User{}, fmt.Errorf("creating user %s: %w", nu.Name, err)
		}
		h, err := auth.HashNewPassword(nu.Password)
		if err != nil {
			return User{}, fmt.Errorf("creating user %s: %w", nu.Name, err)
		}
		u.PasswordHash = h
	}
	if err := l.store.CreateUser(ctx, u); err != nil {
		return User{}, err
	}
	return userOf(u), nil
}

// RemoveUser implements Service.
func (l *Local) RemoveUser(ctx context.Context, name string) (err error) {
	defer func() { l.record(ctx, audit.UserRemove, name, "", err) }()
	if err := l.store.RemoveUser(ctx, name); err != nil {
		return err
	}
	return followUp("removed user "+name, l.signOut(ctx, name), l.stopUser(ctx, name))
}

func errNoChange(name string) error {
	return fmt.Errorf("changing user %s: %w", name, &accounting.InvalidError{
		What: "change", Value: "{}", Rule: "give at least one of admin, disabled and password"})
}

// UpdateUser implements Service. The changes are checked first and then
// applied one by one.
func (l *Local) UpdateUser(ctx context.Context, name string, c UserChange) (_ User, err error) {
	defer func() { l.record(ctx, audit.UserUpdate, name, userChangeDetail(c), err) }()
	if c.IsZero() {
		return User{}, errNoChange(name)
	}
	setPassword := c.Password != nil && *c.Password != ""
	if setPassword {
		if err := auth.CheckNewPassword(*c.Password); err != nil {
			return User{}, fmt.Errorf("setting the password of %s: %w", name, err)
		}
	}
	if _, err := l.store.User(ctx, name); err != nil {
		return User{}, fmt.Errorf("changing user: %w", err)
	}
	var hash string
	if setPassword {
		var err error
		if hash, err = auth.HashNewPassword(*c.Password); err != nil {
			return User{}, fmt.Errorf("setting the password of %s: %w", name, err)
		}
	}
	if c.Admin != nil {
		if err := l.store.SetAdmin(ctx, name, *c.Admin); err != nil {
			return User{}, err
		}
	}
	if c.Disabled != nil {
		if err := l.store.SetDisabled(ctx, name, *c.Disabled); err != nil {
			return User{}, err
		}
	}
	if c.Password != nil {
		if err := l.store.SetPassword(ctx, name, hash); err != nil {
			return User{}, err
		}
	}
	u, err := l.User(ctx, name)
	if err != nil {
		return User{}, err
	}
	if c.Password != nil || c.Disabled != nil && *c.Disabled {
		if err := followUp("changed user "+name, l.signOut(ctx, name)); err != nil {
			return u, err
		}
	}
	return u, nil
}

// SignInLink implements Service.
func (l *Local) SignInLink(ctx context.Context, name string) (_ string, err error) {
	defer func() { l.record(ctx, audit.UserLink, name, "", err) }()
	if l.opts.SignInLink == nil {
		return "", fmt.Errorf("making a sign-in link for %s: %w: the appliance must be running (simphony-remote serve): it keeps the links in its memory, and makes them through its admin socket", name, ErrUnavailable)
	}
	// A link signs in as anybody, administrators included, without their
	// password: it is for whoever runs the appliance's machine, not for an
	// administrator's browser or token.
	if a, ok := audit.ActorFrom(ctx); !ok || a.Address != audit.SocketAddress {
		return "", fmt.Errorf("making a sign-in link for %s: %w: run simphony-remote db user sign-in-link %s there", name, ErrHostOnly, name)
	}
	u, err := l.store.User(ctx, name)
	if err != nil {
		return "", fmt.Errorf("making a sign-in link: %w", err)
	}
	if u.Disabled {
		return "", fmt.Errorf("making a sign-in link for %s: %w", name, &accounting.InvalidError{
			What: "user", Value: name, Rule: "the user is disabled; enable them first (db user enable " + name + ")"})
	}
	link, err := l.opts.SignInLink(ctx, name)
	if err != nil {
		return "", fmt.Errorf("making a sign-in link for %s: %w", name, err)
	}
	return link, nil
}

var _ Service = (*Local)(nil)
