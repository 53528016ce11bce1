package session_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/volumes/volumestest"
)

// swapperEnv runs this test binary as the attacker of TestVolumeSwapRace:
// it exchanges DIR/x (a directory) with DIR/x.link (a symbolic link to
// /etc) as fast as it can until its stdin closes, then prints how many
// exchanges it made and how many were refused.
const swapperEnv = "SIMPHONY_REMOTE_TEST_SWAPPER"

// nobody is the unprivileged user the attacker runs as.
const nobody = 65534

func swapper(dir string) int {
	x, link := filepath.Join(dir, "x"), filepath.Join(dir, "x.link")
	var done atomic.Bool
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		done.Store(true)
	}()
	fmt.Println("ready")
	swaps, refused := 0, 0
	var last error
	for !done.Load() {
		// One atomic exchange: x is always there, a directory or a link.
		if err := unix.Renameat2(unix.AT_FDCWD, x, unix.AT_FDCWD, link, unix.RENAME_EXCHANGE); err != nil {
			refused++
			last = err
			continue
		}
		swaps++
	}
	// Leave x a directory.
	if swaps%2 == 1 {
		if err := unix.Renameat2(unix.AT_FDCWD, x, unix.AT_FDCWD, link, unix.RENAME_EXCHANGE); err != nil {
			fmt.Println("error:", err)
			return 1
		}
	}
	fmt.Printf("swapped %d refused %d last error %v\n", swaps, refused, last)
	return 0
}

// attacker runs the swapper on dir as the user nobody, from a copy of this
// test binary that nobody may run; stop ends it and returns what it says.
func attacker(t *testing.T, bin, dir string) (stop func() string) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), swapperEnv+"="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, NoSetGroups: true}}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	if line, err := r.ReadString('\n'); line != "ready\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the attacker said %q, %v", line, err)
	}
	var once sync.Once
	var report string
	stop = func() string {
		once.Do(func() {
			_ = in.Close()
			rest, _ := io.ReadAll(r)
			report = strings.TrimSpace(string(rest))
			if err := cmd.Wait(); err != nil {
				t.Errorf("the attacker failed: %v: %s", err, report)
			}
		})
		return report
	}
	t.Cleanup(func() { stop() })
	return stop
}

// countSwaps reads the attacker's report.
func countSwaps(t *testing.T, report string) (swaps, refused int) {
	t.Helper()
	if _, err := fmt.Sscanf(report, "swapped %d refused %d", &swaps, &refused); err != nil {
		t.Fatalf("the attacker said %q: %v", report, err)
	}
	return swaps, refused
}

// TestVolumeSwapRace swaps a volume's directory for a symbolic link to
// /etc, from an unprivileged process, while sessions start, and wants no
// session ever to see /etc. Where a user other than root could swap it (a
// component that user owns), every start is refused, so the race cannot
// even begin; where every component is root's, the attacker's swaps all
// fail, and every session sees the directory that was checked.
func TestVolumeSwapRace(t *testing.T) {
	const refusedStarts = 300 // starts refused while the attacker swaps
	const mountedStarts = 12  // sessions started while the attacker tries
	top := volumestest.Root(t)
	h := newHarness(t, allowVolumes(top))
	img := dockertest.TestAppImage(t, h.dc, "race-"+h.realm, nil)

	// The attacker needs a copy of this binary it may run.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(top, "attacker")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}

	// setup makes parent/x (a directory with a marker file) and parent/x.link
	// (a link to /etc).
	setup := func(parent string) string {
		x := volumestest.Dir(t, parent, "x")
		if err := os.Symlink("/etc", filepath.Join(parent, "x.link")); err != nil {
			t.Fatal(err)
		}
		return x
	}
	// sees fails the test when a started session shows /etc at /workspace,
	// or not the marker.
	sees := func(t *testing.T, r session.Started) {
		t.Helper()
		files := fetchReport(t, r.Route).Workspace
		if slices.Contains(files, "passwd") || !slices.Contains(files, "marker") {
			t.Errorf("session %s mounted %v, not the checked directory", r.URLID, files)
		}
	}
	policy := func(x string) accounting.Policy {
		return accounting.Policy{Volume: accounting.Volume{Source: x, Target: "/workspace", Mode: "ro"}}
	}

	t.Run("a component the attacker owns", func(t *testing.T) {
		pub := volumestest.Dir(t, top, "pub")
		x := setup(pub)
		for _, p := range []string{pub, x, filepath.Join(pub, "x.link")} {
			if err := os.Lchown(p, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}
		id := h.grant("mallory", img, policy(x))
		stop := attacker(t, bin, pub)
		want := pub + " is owned by uid 65534, not root"
		for i := range refusedStarts {
			r, err := h.mgr.Start(t.Context(), "mallory", id, nil)
			if err == nil {
				sees(t, r)
				t.Fatalf("start %d was not refused", i)
			}
			if !errors.Is(err, session.ErrVolume) || !strings.Contains(err.Error(), want) {
				t.Fatalf("start %d: %v, want ErrVolume containing %q", i, err, want)
			}
		}
		swaps, _ := countSwaps(t, stop())
		if swaps == 0 {
			t.Fatal("the attacker never swapped: the test proves nothing")
		}
		t.Logf("%d starts refused while the attacker swapped %d times", refusedStarts, swaps)
	})

	t.Run("components only root can change", func(t *testing.T) {
		safe := volumestest.Dir(t, top, "safe")
		x := setup(safe)
		stop := attacker(t, bin, safe)
		var wg sync.WaitGroup
		const workers = 3
		for w := range workers {
			user := fmt.Sprintf("user%d", w)
			id := h.grant(user, img, policy(x))
			wg.Go(func() {
				for range mountedStarts / workers {
					r, err := h.mgr.Start(t.Context(), user, id, nil)
					if err != nil {
						t.Errorf("start: %v", err)
						return
					}
					sees(t, r)
					if err := h.mgr.Stop(t.Context(), user, r.URLID); err != nil {
						t.Errorf("stop: %v", err)
						return
					}
				}
			})
		}
		wg.Wait()
		report := stop()
		swaps, refused := countSwaps(t, report)
		if swaps != 0 || refused == 0 || !strings.HasSuffix(report, "permission denied") {
			t.Fatalf("the attacker said %q; want no swap, and refusals for want of permission", report)
		}
		t.Logf("%d sessions saw the checked directory while the attacker was refused %d times", mountedStarts, refused)
	})
}
