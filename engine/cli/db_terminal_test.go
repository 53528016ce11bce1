//go:build linux

package cli_test

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/auth"
)

// onTerminal runs the binary with a terminal as its standard streams,
// answering each prompt, once it shows with echo off, with its answer. It
// returns what the terminal showed and the exit error.
func onTerminal(t *testing.T, c *cli, dialogue [][2]string, args ...string) (string, error) {
	t.Helper()
	master, slave := openPTY(t)
	defer master.Close()
	cmd := exec.Command(binary, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(&out, master) // ends with EIO once the terminal is closed
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !cond(); {
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				t.Fatalf("waiting for %s; the terminal shows %q", what, out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	shown := map[string]int{} // how often each prompt was shown
	for _, d := range dialogue {
		prompt, answer := d[0], d[1]
		waitFor("the prompt "+prompt, func() bool { return strings.Count(out.String(), prompt) > shown[prompt] })
		shown[prompt]++
		waitFor("echo to be off", func() bool {
			tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
			return err == nil && tio.Lflag&unix.ECHO == 0
		})
		if _, err := master.WriteString(answer + "\n"); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("%v did not end; the terminal shows %q", args, out.String())
	}
	slave.Close()
	<-copied
	return out.String(), err
}

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

	shown, err := onTerminal(t, c, [][2]string{{"Password: ", "correct horse battery"}, {"Password again: ", "correct horse batteyr"}},
		"db", "--db", db, "user", "set-password", "alice")
	if err == nil || !strings.Contains(shown, "the two passwords differ; nothing changed") {
		t.Errorf("different answers: %v; the terminal showed %q", err, shown)
	}
	if h := hashOf("alice"); h != "" {
		t.Errorf("different answers set a password: %q", h)
	}

	shown, err = onTerminal(t, c, [][2]string{{"Password: ", "correct horse battery"}, {"Password again: ", "correct horse battery"}},
		"db", "--db", db, "user", "set-password", "alice")
	if err != nil || !strings.Contains(shown, "set the password of alice") || strings.Contains(shown, "correct horse") {
		t.Errorf("set-password on a terminal: %v; it showed %q", err, shown)
	}
	if err := auth.VerifyPassword(hashOf("alice"), "correct horse battery"); err != nil {
		t.Errorf("the password set on a terminal does not verify: %v", err)
	}

	shown, err = onTerminal(t, c, [][2]string{{"Password: ", "another good one"}, {"Password again: ", "another good one"}},
		"db", "--db", db, "user", "create", "bob", "--password-stdin")
	if err != nil || !strings.Contains(shown, "created user bob") || strings.Contains(shown, "another good") {
		t.Errorf("create --password-stdin on a terminal: %v; it showed %q", err, shown)
	}
	if err := auth.VerifyPassword(hashOf("bob"), "another good one"); err != nil {
		t.Errorf("bob's password does not verify: %v", err)
	}
}
