package portal_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/csvfile"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/portal"
)

const newPassword = "alice's new password"

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	signIn := func() auth.Login {
		t.Helper()
		_, l, err := e.logins.Create(ctx, "alice", address)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	here, elsewhere, other := signIn(), signIn(), signIn()
	_, bobs, err := e.logins.Create(ctx, "bob", address)
	if err != nil {
		t.Fatal(err)
	}

	if err := e.svc.ChangePassword(as(t, "alice"), "alice", password, newPassword, here.IDHash); err != nil {
		t.Fatal(err)
	}
	if _, err := e.authn.Authenticate(ctx, "alice", password, "198.51.100.1"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("the old password: %v, want it refused", err)
	}
	if _, err := e.authn.Authenticate(ctx, "alice", newPassword, "198.51.100.1"); err != nil {
		t.Errorf("the new password: %v", err)
	}
	if _, ok := e.logins.ResolveHash(here.IDHash); !ok {
		t.Error("the browser that changed the password was signed out")
	}
	for _, l := range []auth.Login{elsewhere, other} {
		if _, ok := e.logins.ResolveHash(l.IDHash); ok {
			t.Error("another browser of alice is still signed in")
		}
	}
	if _, ok := e.logins.ResolveHash(bobs.IDHash); !ok {
		t.Error("bob was signed out")
	}
	e.wantEntry(t, audit.PasswordChange, "alice", "", audit.ResultOK)
	for _, en := range e.entries(t) {
		if strings.Contains(en.Detail, password) || strings.Contains(en.Detail, newPassword) {
			t.Errorf("the audit log holds a password: %+v", en)
		}
	}

	t.Run("keep none", func(t *testing.T) {
		l := signIn()
		if err := e.svc.ChangePassword(as(t, "alice"), "alice", newPassword, password, ""); err != nil {
			t.Fatal(err)
		}
		if _, ok := e.logins.ResolveHash(l.IDHash); ok {
			t.Error("with no login to keep, one stays signed in")
		}
		if err := e.svc.ChangePassword(as(t, "alice"), "alice", password, newPassword, ""); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("wrong old password", func(t *testing.T) {
		l := signIn()
		err := e.svc.ChangePassword(as(t, "alice"), "alice", "not the password", "a third password", l.IDHash)
		wantErr(t, "a wrong old password", err, portal.ErrWrongPassword)
		e.wantEntry(t, audit.PasswordChange, "alice", "", audit.ResultFailed)
		if _, err := e.authn.Authenticate(ctx, "alice", newPassword, "198.51.100.1"); err != nil {
			t.Errorf("after a refused change, the password: %v", err)
		}
		other := signIn()
		if err := e.svc.ChangePassword(as(t, "alice"), "alice", "not the password", "a third password", l.IDHash); err == nil {
			t.Fatal("a wrong old password was accepted")
		}
		if _, ok := e.logins.ResolveHash(other.IDHash); !ok {
			t.Error("a refused change signed a browser out")
		}
	})

	t.Run("bad new password", func(t *testing.T) {
		err := e.svc.ChangePassword(as(t, "alice"), "alice", newPassword, "short", "")
		wantErr(t, "a short new password", err, accounting.ErrInvalid)
		if err != nil && strings.Contains(err.Error(), "short") {
			t.Errorf("the error shows the password: %v", err)
		}
		if _, err := e.authn.Authenticate(ctx, "alice", newPassword, "198.51.100.1"); err != nil {
			t.Errorf("after a refused change, the password: %v", err)
		}
		// The new password's rule is checked first: a mistyped new
		// password costs no attempt at the old one.
		err = e.svc.ChangePassword(as(t, "alice"), "alice", "not the password", "short", "")
		wantErr(t, "a short new password with a wrong old one", err, accounting.ErrInvalid)
	})

	t.Run("counted as failed sign-ins", func(t *testing.T) {
		// Sign-in locks an account out at an address after 5 failures
		// there; wrong old passwords count among them.
		var err error
		for range 6 {
			err = e.svc.ChangePassword(as(t, "alice"), "alice", "guess", "a third password", "")
		}
		var locked *auth.LockedError
		if !errors.As(err, &locked) {
			t.Errorf("the 6th wrong old password: %v, want a lockout", err)
		}
		if _, err := e.authn.Authenticate(ctx, "alice", newPassword, address); !errors.As(err, &locked) {
			t.Errorf("signing in from where the old password was guessed: %v, want a lockout", err)
		}
	})
}

func TestChangePasswordReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accounting.csv")
	if err := os.WriteFile(path, []byte("user.name,application.image\nalice,"+desktop+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := csvfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t) // for the rest: logins, the audit log
	svc := portal.New(portal.Deps{Accounts: store, Sessions: e.sessions, Logins: e.logins,
		Audit: audit.NewLog(e.store, zerolog.Nop()), Authenticator: auth.NewAuthenticator(store, false, nil, nil)})
	_, l, err := e.logins.Create(t.Context(), "alice", address)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, "asking whether passwords can change in a CSV file", svc.PasswordChangeable(), accounting.ErrReadOnly)
	if err := e.svc.PasswordChangeable(); err != nil {
		t.Errorf("asking whether passwords can change in bbolt: %v", err)
	}
	err = svc.ChangePassword(as(t, "alice"), "alice", password, newPassword, "")
	wantErr(t, "changing a password in a CSV file", err, accounting.ErrReadOnly)
	if _, ok := e.logins.ResolveHash(l.IDHash); !ok {
		t.Error("a refused change signed alice out")
	}
	e.wantEntry(t, audit.PasswordChange, "alice", "", audit.ResultFailed)
}
