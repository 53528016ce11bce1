// Package admin is the administration of the appliance: users, applications
// and grants, backups of the accounting database, the audit log, the
// running sessions, the activity statistics and the local images.
//
// Service is implemented twice: Local works on an accounting.Store in this
// process (the appliance itself, or `db` on a database file nobody else
// holds), and Client talks to a running appliance's admin API (engine/api),
// e.g. over its admin socket. Both return the same errors, wrapping the
// accounting sentinels (ErrInvalid, ErrNotFound, ErrExists, ErrReadOnly) or
// ErrUnavailable, with the same messages, so that callers need not know
// which one they hold. Errors of the Docker Engine (unreachable, refusing
// an upload) are classified alike by problem.Of on both.
package admin

import (
	"context"
	"errors"
	"io"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
)

// ErrUnavailable means that something the operation needs, such as the
// Docker Engine to verify an image, does not answer.
var ErrUnavailable = errors.New("unavailable")

// ErrHostOnly refuses, over HTTPS, what only the appliance's own machine
// may ask for, through the admin socket (the command line, the console).
var ErrHostOnly = errors.New("only on the appliance's machine")

// Service is what administrators can do. Every method validates its input
// before anything changes; a rejection wraps accounting.ErrInvalid and names
// the value and the rule.
type Service interface {
	// Users lists every user, sorted by name; withGrants fills in each
	// one's grants.
	Users(ctx context.Context, withGrants bool) ([]User, error)
	// User returns the named user, without grants.
	User(ctx context.Context, name string) (User, error)
	// CreateUser adds a user; its password, when given, is checked and
	// hashed by the service.
	CreateUser(ctx context.Context, u NewUser) (User, error)
	// RemoveUser removes the user and their grants, signs them out and
	// stops their sessions.
	RemoveUser(ctx context.Context, name string) error
	// UpdateUser changes the given fields of a user: the admin flag,
	// disabled, the password ("" removes it). Disabling a user or changing
	// their password signs them out everywhere.
	UpdateUser(ctx context.Context, name string, c UserChange) (User, error)
	// SignInLink makes a one-time link (the full URL) that signs the user
	// in, within auth.SignInLinkTTL: the way in of a user without a
	// password (CSV users, an administrator who lost theirs). The user
	// must exist and not be disabled; it needs the running appliance.
	SignInLink(ctx context.Context, name string) (string, error)

	// Applications lists every application, sorted by image.
	Applications(ctx context.Context) ([]accounting.Application, error)
	// Application returns the application of image.
	Application(ctx context.Context, image string) (accounting.Application, error)
	// CreateApplication registers an image; with Verify, only if the
	// Docker Engine has it.
	CreateApplication(ctx context.Context, a NewApplication) (accounting.Application, error)
	// RemoveApplication removes the application and every grant of it, and
	// stops the sessions those grants started.
	RemoveApplication(ctx context.Context, image string) error
	// SetLimits changes the resource limits of an application's sessions
	// that c names; the others stay as they are.
	SetLimits(ctx context.Context, image string, c LimitsChange) (accounting.Application, error)
	// SetRunAsRoot marks an application to run as its image's own user
	// (usually root) rather than the session owner's uid, or clears the
	// mark. Sessions already running keep the user they started with.
	SetRunAsRoot(ctx context.Context, image string, root bool) (accounting.Application, error)

	// Grant lets user run image with p and returns the mapping id; the same
	// grant again returns the same id.
	Grant(ctx context.Context, user, image string, p accounting.Policy) (string, error)
	// Revoke removes the grant of image to user with exactly policy p.
	Revoke(ctx context.Context, user, image string, p accounting.Policy) error
	// RevokeAll removes every grant of image to user and returns how many
	// there were.
	RevokeAll(ctx context.Context, user, image string) (int, error)
	// RevokeMapping removes the grant with that mapping id.
	RevokeMapping(ctx context.Context, mappingID string) error
	// Grants lists the grants of user, sorted by image then mapping id.
	Grants(ctx context.Context, user string) ([]accounting.Grant, error)

	// Import adds another installation's users, applications and grants
	// (simphony-remote's, read by engine/legacy), keeping the grants'
	// mapping ids. What is there already with the same data is left as it
	// is; what conflicts with the store (a mapping id another grant has,
	// the same grant under another mapping id, a volume the host refuses)
	// is reported in ImportReport.Conflicts and not imported; the rest is
	// added in one transaction, or, on error, nothing. With dryRun nothing
	// changes and the report says what would. Invalid records refuse the
	// whole batch (accounting.ErrInvalid).
	Import(ctx context.Context, b accounting.Batch, dryRun bool) (ImportReport, error)

	// Backup writes a consistent copy of the bbolt database to w. A
	// read-only (CSV) backend answers accounting.ErrReadOnly.
	Backup(ctx context.Context, w io.Writer) error

	// Audit lists the entries of the audit log that q selects (see
	// audit.Find): at most q.Limit (see audit.Limit) with ids below
	// q.Before (0: from the newest), of q.User, q.Action and the time
	// range, newest first, and the Before of the next page: 0 when there
	// are no older entries. A filtered page looks at audit.MaxScan entries
	// at most, and may then hold fewer. A range whose end is not after its
	// start is rejected. Without an audit log it fails with ErrUnavailable.
	Audit(ctx context.Context, q audit.Query) ([]audit.Entry, uint64, error)

	// Sessions lists every running session, oldest first, with its
	// shares.
	Sessions(ctx context.Context) ([]Session, error)
	// UserShares lists the shares that go with a user: those of their
	// running sessions and those others gave them, sorted by session then
	// viewer. An unknown user wraps accounting.ErrNotFound.
	UserShares(ctx context.Context, name string) ([]Share, error)
	// StopSession stops any user's session; an unknown one wraps
	// accounting.ErrNotFound.
	StopSession(ctx context.Context, urlID string) error
	// Stats is the appliance's activity: counts, Docker's state, disk use
	// and the last 24 hours of sessions.
	Stats(ctx context.Context) (Stats, error)
	// Info is what every admin page shows, and what the desktop console
	// shows about the appliance's process; it is cheap.
	Info(ctx context.Context) (Info, error)
	// Log returns the running appliance's recent log lines after the
	// line numbered after (0: from the oldest it keeps), oldest first, at
	// most limit of them (below 1: LogDefault; above LogMax: LogMax). It
	// is only for the appliance's machine: other callers get ErrHostOnly.
	// Without the running appliance it fails with ErrUnavailable.
	Log(ctx context.Context, after uint64, limit int) (LogPage, error)

	// Images lists every local image, sorted by name.
	Images(ctx context.Context) ([]Image, error)
	// ImportImages loads a `docker save` tarball, streaming it to Docker.
	ImportImages(ctx context.Context, tarball io.Reader) (ImportResult, error)
	// BuildImage builds a context tarball (a Dockerfile at its root) as
	// tag, offline.
	BuildImage(ctx context.Context, buildContext io.Reader, tag string) (BuildResult, error)
	// RemoveImage removes the local image ref. It refuses (wrapping
	// accounting.ErrInvalid) an image that a registered application or a
	// running session uses.
	RemoveImage(ctx context.Context, ref string) error
	// BuildStarters starts building the starter images in the background;
	// while a build runs, it fails wrapping accounting.ErrExists.
	BuildStarters(ctx context.Context) error
	// Starters is the current or last build of the starter images.
	Starters(ctx context.Context) (StartersBuild, error)
}

// User is a user as administrators see it; the password hash never leaves
// the accounting store.
type User struct {
	Name        string
	Admin       bool
	Disabled    bool
	HasPassword bool
	// Grants are filled in only when asked for; nil otherwise.
	Grants []accounting.Grant
}

func userOf(u accounting.User) User {
	return User{Name: u.Name, Admin: u.Admin, Disabled: u.Disabled, HasPassword: u.PasswordHash != ""}
}

// NewUser describes a user to create.
type NewUser struct {
	Name  string
	Admin bool
	// Password is the plain password, empty for none (the user then signs
	// in another way, or not at all).
	Password string
}

// UserChange lists what to change in a user; nil fields stay.
type UserChange struct {
	Admin    *bool
	Disabled *bool
	// Password is the new plain password; "" removes the password.
	Password *string
}

// IsZero reports whether c changes nothing.
func (c UserChange) IsZero() bool { return c.Admin == nil && c.Disabled == nil && c.Password == nil }

// LimitsChange lists the resource limits to change; nil fields stay. A
// field set to 0 returns that limit to the appliance's default.
type LimitsChange struct {
	Memory *int64 // bytes
	CPUs   *float64
	Pids   *int64
}

// AllLimits is the change that sets every limit to l's.
func AllLimits(l accounting.Limits) LimitsChange {
	return LimitsChange{Memory: &l.Memory, CPUs: &l.CPUs, Pids: &l.Pids}
}

// Apply returns l with the limits c names changed.
func (c LimitsChange) Apply(l accounting.Limits) accounting.Limits {
	if c.Memory != nil {
		l.Memory = *c.Memory
	}
	if c.CPUs != nil {
		l.CPUs = *c.CPUs
	}
	if c.Pids != nil {
		l.Pids = *c.Pids
	}
	return l
}

// IsZero reports whether c changes nothing.
func (c LimitsChange) IsZero() bool { return c.Memory == nil && c.CPUs == nil && c.Pids == nil }

// NewApplication describes an application to register.
type NewApplication struct {
	Image  string
	Limits accounting.Limits
	// Verify asks the Docker Engine whether it has the image first.
	Verify bool
	// RunAsRoot: see accounting.Application.
	RunAsRoot bool
}
