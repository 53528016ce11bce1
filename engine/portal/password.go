package portal

import (
	"context"
	"errors"
	"fmt"

	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
)

// ChangePassword changes user's own password from oldPassword to
// newPassword. The old one must verify, under the limits of sign-in (a
// wrong one counts as a failed sign-in from the actor's address, and is
// ErrWrongPassword; too many, an *auth.LockedError); the new one follows
// the rule of every password (auth.HashNewPassword, an
// accounting.ErrInvalid). A read-only store is accounting.ErrReadOnly.
// Afterwards every other browser login of user is signed out; keepLogin
// is the id hash of the login that asked (auth.Login.IDHash), "" keeps
// none. The change is recorded as audit.PasswordChange.
func (s *Service) ChangePassword(ctx context.Context, user, oldPassword, newPassword string, keepLogin string) (err error) {
	ctx = as(ctx, user)
	defer func() { s.d.Audit.Record(ctx, audit.PasswordChange, user, "", err) }()
	if err := s.PasswordChangeable(); err != nil {
		return fmt.Errorf("changing the password of %s: %w", user, err)
	}
	// The new password's rule first: a mistyped new one costs no attempt.
	if err := auth.CheckNewPassword(newPassword); err != nil {
		return fmt.Errorf("changing the password of %s: %w", user, err)
	}
	actor, _ := audit.ActorFrom(ctx)
	err = s.d.Authenticator.Verify(ctx, user, oldPassword, actor.Address)
	if errors.Is(err, auth.ErrBadCredentials) {
		return fmt.Errorf("changing the password of %s: %w", user, ErrWrongPassword)
	}
	if err != nil {
		return fmt.Errorf("changing the password of %s: %w", user, err)
	}
	hash, err := auth.HashNewPassword(newPassword)
	if err != nil {
		return fmt.Errorf("changing the password of %s: %w", user, err)
	}
	if err := s.d.Accounts.SetPassword(ctx, user, hash); err != nil {
		return fmt.Errorf("changing the password of %s: %w", user, err)
	}
	if _, err := s.d.Logins.RevokeUserExcept(ctx, user, keepLogin); err != nil {
		return fmt.Errorf("changed the password of %s, but signing out its other browsers: %w", user, err)
	}
	return nil
}
