// Package accounting records who may run which application, and with which
// policy: users, applications (Docker images) and the grants between them.
//
// A grant is identified by its mapping id, 32 lowercase hexadecimal digits
// that stay the same for as long as the grant exists. Granting the same
// application to the same user with the same policy twice returns the same
// mapping id.
package accounting

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/docker/go-units"
)

// Errors returned by every Store, wrapped with what was being done.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrReadOnly = errors.New("read-only backend")
	ErrInvalid  = errors.New("invalid")
)

// User is a person who may sign in.
type User struct {
	Name  string
	Admin bool
	// PasswordHash is an encoded password hash (see engine/auth), empty when
	// the user has no local password.
	PasswordHash string
	// Disabled users cannot sign in; their grants stay.
	Disabled bool
}

// Application is a Docker image that users may be granted.
type Application struct {
	Image string
	// Limits bound each of its session containers; zero fields take the
	// appliance's defaults.
	Limits Limits
	// RunAsRoot lets its containers start as the image's own user (root,
	// usually) rather than the session owner's UID: only for images that
	// need it, such as those made for the original simphony-remote, which
	// create their user themselves. An administrator's decision.
	RunAsRoot bool
}

// Limits are resource limits of a session container. A zero field means
// "the default".
type Limits struct {
	Memory int64   // bytes
	CPUs   float64 // number of CPUs, fractions allowed
	Pids   int64   // processes
}

// String describes the limits for people: "memory 512MiB, cpus 2, pids
// default" (0 is the configured default).
func (l Limits) String() string {
	mem, cpus, pids := "default", "default", "default"
	if l.Memory > 0 {
		mem = units.BytesSize(float64(l.Memory))
	}
	if l.CPUs > 0 {
		cpus = strconv.FormatFloat(l.CPUs, 'g', -1, 64)
	}
	if l.Pids > 0 {
		pids = strconv.FormatInt(l.Pids, 10)
	}
	return fmt.Sprintf("memory %s, cpus %s, pids %s", mem, cpus, pids)
}

// Volume is a host directory mounted into an application's container.
// The zero Volume means no volume.
type Volume struct {
	Source string
	Target string
	Mode   string // "ro" or "rw"
}

// IsZero reports whether v is the absence of a volume.
func (v Volume) IsZero() bool { return v == Volume{} }

// String formats v as SOURCE:TARGET:MODE, the form ParseVolume reads.
func (v Volume) String() string {
	if v.IsZero() {
		return ""
	}
	return v.Source + ":" + v.Target + ":" + v.Mode
}

// Policy says how a granted application runs. Policies are values: two
// grants with equal policies are the same grant.
type Policy struct {
	// AppLicense is passed to the container as APP_LICENSE when not empty.
	AppLicense string
	// AllowHome mounts the user's persistent workspace at /workspace.
	AllowHome bool
	// AllowView lets the owner share a running session with other users.
	AllowView bool
	// Volume is mounted as well, when not zero.
	Volume Volume
	// AllowStartupData lets the user pass a startup data path.
	AllowStartupData bool
}

// Grant lets User run the application Image with Policy.
type Grant struct {
	MappingID string
	User      string
	Image     string
	Policy    Policy
}

// Store is the accounting database. Implementations are safe for concurrent
// use. Every mutation is atomic: it happens entirely or not at all.
type Store interface {
	// CreateUser adds u; ErrExists if a user of that name exists.
	CreateUser(ctx context.Context, u User) error
	// RemoveUser removes the user and all of their grants.
	RemoveUser(ctx context.Context, name string) error
	// User returns the named user or ErrNotFound.
	User(ctx context.Context, name string) (User, error)
	// Users lists every user, sorted by name.
	Users(ctx context.Context) ([]User, error)
	// SetPassword replaces the user's password hash ("" removes it).
	SetPassword(ctx context.Context, name, hash string) error
	// SetAdmin sets the user's admin flag.
	SetAdmin(ctx context.Context, name string, admin bool) error
	// SetDisabled disables or enables the user.
	SetDisabled(ctx context.Context, name string, disabled bool) error

	// CreateApplication adds a; ErrExists if it is already there.
	CreateApplication(ctx context.Context, a Application) error
	// RemoveApplication removes the application and every grant of it.
	RemoveApplication(ctx context.Context, image string) error
	// Application returns the application of the given image or ErrNotFound.
	Application(ctx context.Context, image string) (Application, error)
	// Applications lists every application, sorted by image.
	Applications(ctx context.Context) ([]Application, error)
	// SetLimits replaces the application's resource limits.
	SetLimits(ctx context.Context, image string, l Limits) error
	// SetRunAsRoot sets the application's run-as-root mark.
	SetRunAsRoot(ctx context.Context, image string, root bool) error

	// Grant lets user run image with p and returns the mapping id. Granting
	// the same image, user and policy again returns the same id.
	Grant(ctx context.Context, user, image string, p Policy) (string, error)
	// Revoke removes the grant of image to user with exactly policy p.
	Revoke(ctx context.Context, user, image string, p Policy) error
	// RevokeAll removes every grant of image to user, whatever the policy,
	// and returns how many there were.
	RevokeAll(ctx context.Context, user, image string) (int, error)
	// RevokeMapping removes the grant with the given mapping id.
	RevokeMapping(ctx context.Context, mappingID string) error
	// Grants lists the grants of user, sorted by image then mapping id.
	Grants(ctx context.Context, user string) ([]Grant, error)
	// GrantByID returns the grant with the given mapping id or ErrNotFound.
	GrantByID(ctx context.Context, mappingID string) (Grant, error)

	// SessionUID returns the UID the user's sessions run as: the one the
	// user was given before, else a new one from r that no other user
	// ever had (ErrNoUID when r has none left). ErrNotFound for no such
	// user.
	SessionUID(ctx context.Context, user string, r UIDRange) (int, error)

	// Close releases the store.
	Close() error
}

// NewMappingID returns a random mapping id: 32 lowercase hex digits.
func NewMappingID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24).
	return hex.EncodeToString(b[:])
}

// IsMappingID reports whether s has the form of a mapping id.
func IsMappingID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
