// Package audit is the appliance's audit log: who did what, when, to what
// and from where. Every administrative change, every sign-in (successful or
// not) and every session start, stop and share is one Entry.
//
// Writers hold a *Log and call Record with the request's context, which
// carries the Actor (WithActor); a nil *Log records nothing. Readers list
// the entries of a Store newest first, a page at a time. The appliance keeps
// them in its bbolt file (engine/accounting/boltdb).
package audit

import (
	"context"
	"time"
)

// Entry is one recorded event. Its JSON form is the API's.
type Entry struct {
	// ID is assigned by the Store: it grows with every entry.
	ID      uint64    `json:"id"`
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`   // a user name, "socket uid 1000 (alice)", or System
	Address string    `json:"address"` // where the actor came from: an IP address, "admin.sock", "local"
	Action  string    `json:"action"`  // one of the action constants
	Target  string    `json:"target"`  // what was acted on: a user, an image, "IMAGE for USER", a mapping or url id
	Detail  string    `json:"detail"`  // what changed; never a password, hash or token
	Result  string    `json:"result"`  // ResultOK or ResultFailed
}

// Results.
const (
	ResultOK     = "ok"
	ResultFailed = "failed"
)

// System is the actor of what no person asked for (idle culling, start-up
// reconciliation), and of whatever was recorded with no Actor in its
// context.
const System = "system"

// Actions. Targets are given next to each one.
const (
	SignIn  = "signin"  // user name (as typed, when the sign-in failed)
	SignOut = "signout" // user name

	UserCreate = "user.create" // user name
	UserRemove = "user.remove" // user name
	UserUpdate = "user.update" // user name; detail: "admin=true", "disabled=true", "password changed"

	ApplicationCreate = "application.create" // image
	ApplicationRemove = "application.remove" // image
	ApplicationLimits = "application.limits" // image; detail: the new limits
	ApplicationRoot   = "application.root"   // image; detail: "run_as_root=true" or false

	GrantCreate = "grant.create" // "IMAGE for USER"; detail: mapping id and policy
	GrantRevoke = "grant.revoke" // "IMAGE for USER" or a mapping id; detail: policy, or how many

	SessionStart = "session.start" // url id; detail: user, image, mapping id
	SessionStop  = "session.stop"  // url id
	ShareCreate  = "share.create"  // url id; detail: with whom, mode
	ShareRemove  = "share.remove"  // url id; detail: with whom

	TokenCreate = "token.create" // token id; detail: its name (never the token)
	TokenRemove = "token.remove" // token id

	PasswordChange = "password.change" // user name: a user changed their own password

	ImageImport = "image.import" // image names
	ImageBuild  = "image.build"  // image name, or "starter images"
	ImageRemove = "image.remove" // image reference
	Backup      = "backup"       // "database"; detail: size
)

// UserLink is the action of making a one-time sign-in link; target: the
// user name (never the link).
const UserLink = "user.sign-in-link"

// Paging limits of List.
const (
	DefaultLimit = 50   // entries a page when no limit is given
	MaxLimit     = 1000 // the most entries a page
)

// MaxEntries is how many entries a Store keeps: appending one more drops
// the oldest.
const MaxEntries = 100_000

// Store keeps entries. Implementations are safe for concurrent use.
type Store interface {
	// AppendAudit stores e under the next id, which it returns; e.ID is
	// ignored. It drops the oldest entries beyond MaxEntries.
	AppendAudit(ctx context.Context, e Entry) (uint64, error)
	// AuditEntries lists at most limit entries (see Limit) whose ids are
	// below before (0: from the newest), newest first. next is the before
	// of the following page, 0 when there are no older entries.
	AuditEntries(ctx context.Context, before uint64, limit int) (entries []Entry, next uint64, err error)
}

// Limit is the page size for a requested limit: DefaultLimit when it is 0
// or less, at most MaxLimit.
func Limit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}
