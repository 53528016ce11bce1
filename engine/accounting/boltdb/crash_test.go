package boltdb

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// crashChildEnv names the database a re-executed test binary writes to in a
// loop until it is killed.
const crashChildEnv = "SIMPHONY_REMOTE_CRASH_CHILD_DB"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		if err := writeForever(path); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// writeForever mixes single-record grants with multi-record removals (a user
// and all their grants) and prints "ack <mapping id>" after each committed
// grant, so that the parent knows what must survive.
func writeForever(path string) error {
	ctx := context.Background()
	s, err := Open(path)
	if err != nil {
		return err
	}
	users := []string{"u0", "u1", "u2"}
	for _, u := range users {
		if err := s.CreateUser(ctx, accounting.User{Name: u}); err != nil {
			return err
		}
	}
	if err := s.CreateApplication(ctx, accounting.Application{Image: "img"}); err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		u := users[i%len(users)]
		if i%40 == 39 {
			if err := s.RemoveUser(ctx, u); err != nil {
				return err
			}
			if err := s.CreateUser(ctx, accounting.User{Name: u}); err != nil {
				return err
			}
			continue
		}
		id, err := s.Grant(ctx, u, "img", accounting.Policy{AppLicense: fmt.Sprint("lic-", i), AllowHome: i%2 == 0})
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "ack", id)
		if err := out.Flush(); err != nil {
			return err
		}
	}
}

// TestKillDuringWrites kills a writing process with SIGKILL at several
// moments and checks that the file reopens, that its indexes agree with its
// records, and that every grant acknowledged before the kill is there.
func TestKillDuringWrites(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	s, err := Init(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	for round, acks := range []int{30, 170, 400} {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var last string
		n := 0
		sc := bufio.NewScanner(stdout)
		for ; n < acks && sc.Scan(); n++ {
			last = strings.TrimPrefix(sc.Text(), "ack ")
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if n < acks {
			t.Fatalf("round %d: the writer stopped after %d of %d writes", round, n, acks)
		}

		s, err := openWithin(path, 5*time.Second)
		if err != nil {
			t.Fatalf("round %d: reopening after kill -9: %v", round, err)
		}
		if err := s.Check(t.Context()); err != nil {
			t.Errorf("round %d: check after kill -9: %v", round, err)
		}
		g, err := s.GrantByID(t.Context(), last)
		if err != nil {
			t.Errorf("round %d: the last acknowledged grant %s is lost: %v", round, last, err)
		} else if !strings.HasPrefix(g.Policy.AppLicense, "lic-") {
			t.Errorf("round %d: grant %s came back as %+v", round, last, g)
		}
		// The next round's writer recreates its users and application.
		for _, u := range []string{"u0", "u1", "u2"} {
			_ = s.RemoveUser(t.Context(), u)
		}
		_ = s.RemoveApplication(t.Context(), "img")
		s.Close()
	}
}

// openWithin retries while the killed process's lock is being released.
func openWithin(path string, d time.Duration) (*Store, error) {
	deadline := time.Now().Add(d)
	for {
		s, err := Open(path)
		if err == nil || time.Now().After(deadline) {
			return s, err
		}
	}
}
