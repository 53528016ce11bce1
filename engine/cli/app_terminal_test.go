//go:build linux

package cli_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// lockedBuffer is a buffer written by one goroutine and read by another.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// openPTY opens a pseudo-terminal pair.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// prompt is one question asked on a terminal and the answer to type;
// secret ones must be asked with echo off.
type prompt struct {
	text, answer string
	secret       bool
}

// onTerminal runs the binary with a terminal as its standard streams,
// answering each prompt once it shows (a secret one once echo is off). It
// returns what the terminal showed and the exit error.
func onTerminal(t *testing.T, c *cli, dialogue []prompt, args ...string) (string, error) {
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
	for _, p := range dialogue {
		waitFor("the prompt "+p.text, func() bool { return strings.Count(out.String(), p.text) > shown[p.text] })
		shown[p.text]++
		if p.secret {
			waitFor("echo to be off", func() bool {
				tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
				return err == nil && tio.Lflag&unix.ECHO == 0
			})
		}
		if _, err := master.WriteString(p.answer + "\n"); err != nil {
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

// TestAppLoginPrompts signs in on a terminal: the user name is asked for,
// and the password without echo.
func TestAppLoginPrompts(t *testing.T) {
	f := newFakeAppliance(t)
	c, conf := newAppCLI(t)
	ca := f.caFile(t, c.dir)
	shown, err := onTerminal(t, c, []prompt{{"User name: ", "alice", false}, {"Password for alice: ", "correct horse", true}},
		"app", "login", f.srv.URL, "--ca", ca)
	if err != nil || !strings.Contains(shown, "signed in to "+f.srv.URL+" as alice") {
		t.Fatalf("app login on a terminal: %v; it showed %q", err, shown)
	}
	if strings.Contains(shown, "correct horse") {
		t.Errorf("the password was echoed: %q", shown)
	}
	if _, err := os.Stat(conf); err != nil {
		t.Errorf("no client.json: %v", err)
	}
}
