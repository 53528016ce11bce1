// Package portal is the user's operations: their applications, starting
// and stopping them, sharing a running session, the sessions shared with
// them, API tokens and their own password. Each operation checks its own
// rules and writes its own audit entry, so that the JSON API, the legacy
// API, the pages (and the desktop console) only parse, call it and render,
// with the same outcome whichever calls.
//
// The caller's context carries the audit actor (audit.WithActor, with the
// client's address); an operation whose context has none is recorded in
// the name of the user it acts for.
package portal

import (
	"context"
	"errors"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/shares"
)

// ErrWrongPassword refuses a change of password whose old password is
// wrong.
var ErrWrongPassword = errors.New("the current password is wrong")

// Sessions is what the service does with sessions (session.Manager).
type Sessions interface {
	Start(ctx context.Context, user, mappingID string, conf map[string]string) (session.Started, error)
	Stop(ctx context.Context, user, urlID string) error
	Get(urlID string) (routes.Route, bool)
	List(user string) []routes.Route
}

// Deps are what the service uses.
type Deps struct {
	Accounts accounting.Store
	Sessions Sessions
	// Image describes an application image (from the container runtime).
	Image  func(ctx context.Context, ref string) (protocol.Image, error)
	Shares *shares.Shares
	Tokens *auth.Tokens
	Logins *auth.Logins
	Audit  *audit.Log
	Now    func() time.Time
	// Authenticator checks the old password of a change, under the limits
	// of sign-in (the appliance's own, so that both count the same
	// failures); ChangePassword needs it.
	Authenticator *auth.Authenticator
}

// Service is the user's operations.
type Service struct {
	d Deps
	// background are the starts under way that no caller waits for.
	background session.Inflight
}

// Close waits for the starts in the background to end (they end soon once
// the session manager's Base is done); after it, StartInBackground refuses
// with session.ErrShuttingDown.
func (s *Service) Close() { s.background.Close() }

// New returns the service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{d: d}
}

// as is ctx with user as the audit actor, unless it names one.
func as(ctx context.Context, user string) context.Context {
	if a, ok := audit.ActorFrom(ctx); ok && a.Name != "" {
		return ctx
	}
	return audit.WithActor(ctx, audit.Actor{Name: user})
}

// record writes an operation's audit entry, unless it failed with
// notFound: what does not exist (or is another user's) was not acted on.
func (s *Service) record(ctx context.Context, notFound error, action, target, detail string, err error) {
	if err == nil || !errors.Is(err, notFound) {
		s.d.Audit.Record(ctx, action, target, detail, err)
	}
}
