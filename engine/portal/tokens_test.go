package portal_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
)

func TestTokens(t *testing.T) {
	e := newEnv(t)
	secret, tok, err := e.svc.CreateToken(as(t, "alice"), "alice", "laptop", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := e.tokens.Resolve(secret); !ok || got.ID != tok.ID || got.User != "alice" {
		t.Errorf("the new token resolves to %+v, %v", got, ok)
	}
	e.wantEntry(t, audit.TokenCreate, tok.ID, "name laptop", audit.ResultOK)
	if d := e.last(t).Detail; strings.Contains(d, secret) {
		t.Errorf("the audit log holds the token: %q", d)
	}
	if list := e.svc.Tokens("alice"); len(list) != 1 || list[0].ID != tok.ID {
		t.Errorf("Tokens(alice) = %+v", list)
	}
	if list := e.svc.Tokens("bob"); len(list) != 0 {
		t.Errorf("Tokens(bob) = %+v, want none", list)
	}

	_, _, err = e.svc.CreateToken(as(t, "alice"), "alice", strings.Repeat("x", auth.MaxTokenName+1), nil)
	var inv *accounting.InvalidError
	if !errors.As(err, &inv) || inv.What != "token" {
		t.Errorf("a token with too long a name: %v, want an invalid token", err)
	}
	e.wantEntry(t, audit.TokenCreate, "", "name "+strings.Repeat("x", auth.MaxTokenName+1), audit.ResultFailed)

	n := len(e.entries(t))
	wantErr(t, "bob deleting alice's token", e.svc.DeleteToken(as(t, "bob"), "bob", tok.ID), auth.ErrTokenNotFound)
	e.noNewEntry(t, n)
	if err := e.svc.DeleteToken(as(t, "alice"), "alice", tok.ID); err != nil {
		t.Fatal(err)
	}
	e.wantEntry(t, audit.TokenRemove, tok.ID, "", audit.ResultOK)
	if _, ok := e.tokens.Resolve(secret); ok {
		t.Error("a deleted token still works")
	}
}

// A token that cannot be stored is the store's failure (a 500 with no
// detail), not a bad name the user should change.
func TestCreateTokenStoreFailure(t *testing.T) {
	e := newEnv(t)
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.svc.CreateToken(as(t, "alice"), "alice", "laptop", nil)
	if err == nil || errors.Is(err, accounting.ErrInvalid) {
		t.Errorf("CreateToken on a closed store = %v, want a failure that is not ErrInvalid", err)
	}
}
