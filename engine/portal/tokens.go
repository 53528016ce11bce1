package portal

import (
	"context"
	"errors"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
)

// Tokens are user's API tokens.
func (s *Service) Tokens(user string) []auth.Token { return s.d.Tokens.List(user) }

// CreateToken makes an API token for user, named name, valid until
// expires (nil: until deleted); its secret is returned only here. A bad
// name or expiry is an *accounting.InvalidError; a failure to store it is
// not.
func (s *Service) CreateToken(ctx context.Context, user, name string, expires *time.Time) (string, auth.Token, error) {
	ctx = as(ctx, user)
	secret, t, err := s.d.Tokens.Create(ctx, user, name, expires)
	if err != nil {
		if errors.Is(err, auth.ErrBadToken) {
			err = &accounting.InvalidError{What: "token", Value: name, Rule: err.Error()}
		}
		s.d.Audit.Record(ctx, audit.TokenCreate, "", "name "+name, err)
		return "", auth.Token{}, err
	}
	s.d.Audit.Record(ctx, audit.TokenCreate, t.ID, "name "+t.Name, nil)
	return secret, t, nil
}

// DeleteToken deletes user's token id; anybody else's is
// auth.ErrTokenNotFound.
func (s *Service) DeleteToken(ctx context.Context, user, id string) error {
	ctx = as(ctx, user)
	err := s.d.Tokens.Delete(ctx, user, id)
	s.record(ctx, auth.ErrTokenNotFound, audit.TokenRemove, id, "", err)
	return err
}
