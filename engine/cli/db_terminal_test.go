//go:build linux

package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/auth"
)

// TestPasswordPrompts: on a terminal, set-password (without a flag) and
// create --password-stdin ask twice without echo; different answers
// change nothing.
func TestPasswordPrompts(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(c.dir, "x.db")
	c.ok("db", "--db", db, "init")
	c.ok("db", "--db", db, "user", "create", "alice")
	hashOf := func(name string) string {
		t.Helper()
		s, err := boltdb.Open(db)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		u, err := s.User(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		return u.PasswordHash
	}

	shown, err := onTerminal(t, c, []prompt{{"Password: ", "correct horse battery", true}, {"Password again: ", "correct horse batteyr", true}},
		"db", "--db", db, "user", "set-password", "alice")
	if err == nil || !strings.Contains(shown, "the two passwords differ; nothing changed") {
		t.Errorf("different answers: %v; the terminal showed %q", err, shown)
	}
	if h := hashOf("alice"); h != "" {
		t.Errorf("different answers set a password: %q", h)
	}

	shown, err = onTerminal(t, c, []prompt{{"Password: ", "correct horse battery", true}, {"Password again: ", "correct horse battery", true}},
		"db", "--db", db, "user", "set-password", "alice")
	if err != nil || !strings.Contains(shown, "set the password of alice") || strings.Contains(shown, "correct horse") {
		t.Errorf("set-password on a terminal: %v; it showed %q", err, shown)
	}
	if err := auth.VerifyPassword(hashOf("alice"), "correct horse battery"); err != nil {
		t.Errorf("the password set on a terminal does not verify: %v", err)
	}

	shown, err = onTerminal(t, c, []prompt{{"Password: ", "another good one", true}, {"Password again: ", "another good one", true}},
		"db", "--db", db, "user", "create", "bob", "--password-stdin")
	if err != nil || !strings.Contains(shown, "created user bob") || strings.Contains(shown, "another good") {
		t.Errorf("create --password-stdin on a terminal: %v; it showed %q", err, shown)
	}
	if err := auth.VerifyPassword(hashOf("bob"), "another good one"); err != nil {
		t.Errorf("bob's password does not verify: %v", err)
	}
}
