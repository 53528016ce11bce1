package session_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
)

// The child mode of this test binary: start one session and report its
// progress on stdout, until killed.
const (
	childEnv      = "SIMPHONY_REMOTE_TEST_START_CHILD" // db path, realm, mapping id, user
	childPauseEnv = "SIMPHONY_REMOTE_TEST_PAUSE_BEFORE_START"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(swapperEnv); dir != "" {
		os.Exit(swapper(dir))
	}
	if args := os.Getenv(childEnv); args != "" {
		if err := startChild(strings.Split(args, ",")); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// pausingRuntime blocks before starting a container, so that a kill lands
// between creating and starting it.
type pausingRuntime struct{ session.Runtime }

func (p pausingRuntime) Start(ctx context.Context, id string) (session.Container, error) {
	fmt.Println("paused before start")
	<-ctx.Done()
	return session.Container{}, ctx.Err()
}

func startChild(args []string) error {
	dbPath, realm, mapping, user := args[0], args[1], args[2], args[3]
	store, err := boltdb.Open(dbPath)
	if err != nil {
		return err
	}
	dc, err := docker.New(config.Default().Docker)
	if err != nil {
		return err
	}
	var rt session.Runtime = docker.NewRuntime(dc, realm)
	if os.Getenv(childPauseEnv) != "" {
		rt = pausingRuntime{rt}
	}
	mgr := session.New(store, rt, routes.New(), session.Options{
		Realm: realm, HomesDir: filepath.Join(filepath.Dir(dbPath), "homes"), StartTimeout: time.Minute, Log: zerolog.Nop(),
	})
	events, _ := mgr.Subscribe()
	go func() {
		for e := range events {
			fmt.Println(e.Kind, e.Step)
		}
	}()
	_, err = mgr.Start(context.Background(), user, mapping, nil)
	return err
}

// TestKillMidStart kills a process in the middle of starting a session,
// once between creating and starting the container and once while waiting
// for the application, then reconciles as a restarted appliance would.
func TestKillMidStart(t *testing.T) {
	h := newHarness(t)
	img := dockertest.TestAppImage(t, h.dc, "kill-"+h.realm, map[string]string{"TESTAPP_MODE": "slow", "TESTAPP_DELAY": "2s"})
	created := h.grant("ivan", img, accounting.Policy{})
	waiting := h.grant("ivan", img, accounting.Policy{AllowView: true})
	dbPath := h.store.Path()
	if err := h.store.Close(); err != nil {
		t.Fatal(err)
	}

	kill := func(mapping, waitFor string, pause bool) {
		t.Helper()
		exe, _ := os.Executable()
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+strings.Join([]string{dbPath, h.realm, mapping, "ivan"}, ","))
		if pause {
			cmd.Env = append(cmd.Env, childPauseEnv+"=1")
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var seen []string
		sc := bufio.NewScanner(out)
		for sc.Scan() && !strings.Contains(sc.Text(), waitFor) {
			seen = append(seen, sc.Text())
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if sc.Err() != nil || !strings.Contains(sc.Text(), waitFor) {
			t.Fatalf("the child never reported %q; it said %q", waitFor, seen)
		}
	}
	kill(created, "paused before start", true)
	kill(waiting, session.StepWaiting, false)

	states := map[bool]int{}
	for _, c := range h.containers() {
		states[c.Running]++
	}
	if states[true] != 1 || states[false] != 1 {
		t.Fatalf("before reconcile: %d running and %d other containers, want 1 and 1", states[true], states[false])
	}

	store, err := boltdb.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	mgr := session.New(store, h.rt, routes.New(), h.opts)
	if err := mgr.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	cs := h.containers()
	if len(cs) != 1 || !cs[0].Running {
		t.Fatalf("after reconcile: %+v, want only the running container", cs)
	}
	rs := mgr.Routes().List()
	if len(rs) != 1 || rs[0].ContainerID != cs[0].ID || rs[0].MappingID != waiting {
		t.Fatalf("routes after reconcile: %+v", rs)
	}
	// The restored session answers once its application is up.
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + rs[0].Upstream + rs[0].URLPath)
		code := 0
		if err == nil {
			code = resp.StatusCode
			_ = resp.Body.Close()
		}
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restored session never answered (last %d)", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
