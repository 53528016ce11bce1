package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Pinned mode gives every proxy under test the same CPU: one core (core 0)
// to itself, Go proxies with GOMAXPROCS=1 there, so that single-threaded
// CHP and the Go proxies compete on equal terms; the load generator (this
// process), the backend, the browser and every other child run on the
// other cores.

// proxyCore is the core the proxies run on.
const proxyCore = 0

// otherCores is the taskset list of the remaining cores ("1-3").
func otherCores() string {
	if n := runtime.NumCPU(); n > 2 {
		return fmt.Sprintf("1-%d", n-1)
	}
	return "1"
}

// pinSelf pins every thread of this process to the other cores: children
// and threads made later inherit it. sched_setaffinity acts on one thread,
// so it is set on each of /proc/self/task, twice, for threads started
// meanwhile.
func pinSelf() error {
	n := runtime.NumCPU()
	if n < 2 {
		return fmt.Errorf("-pinned needs at least 2 cores, this machine has %d", n)
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		return errors.New("-pinned needs taskset (Debian's util-linux); install it or run with -pinned=false")
	}
	var set unix.CPUSet
	for c := 1; c < n; c++ {
		set.Set(c)
	}
	for range 2 {
		tids, err := filepath.Glob("/proc/self/task/*")
		if err != nil {
			return err
		}
		for _, p := range tids {
			tid, err := strconv.Atoi(filepath.Base(p))
			if err != nil {
				continue
			}
			if err := unix.SchedSetaffinity(tid, &set); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("pinning the harness to cores %s: %w", otherCores(), err)
			}
		}
	}
	runtime.GOMAXPROCS(n - 1)
	return nil
}

// pin makes cmd run on the proxies' core (proxy) or on the other cores,
// through taskset, in pinned mode; a proxy gets GOMAXPROCS=1 there (which
// the Go ones heed and Node ignores).
// Unpinned, it leaves cmd alone.
func (r *rig) pin(cmd *exec.Cmd, proxy bool) {
	if !r.opts.Pinned {
		return
	}
	cores := otherCores()
	if proxy {
		cores = strconv.Itoa(proxyCore)
		if cmd.Env == nil {
			cmd.Env = os.Environ()
		}
		cmd.Env = append(cmd.Env, "GOMAXPROCS=1")
	}
	ts, _ := exec.LookPath("taskset") // checked by pinSelf
	cmd.Args = append([]string{ts, "-c", cores}, cmd.Args...)
	cmd.Args[3] = cmd.Path
	cmd.Path = ts
}

// cpuTicks is a process's CPU time so far, user and system, in clock ticks
// (/proc/PID/stat's utime and stime).
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in brackets, may hold spaces: fields start after
	// its closing bracket, with the state (field 3) first.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return utime + stime, nil
}

// clockTicks is the kernel's clock ticks per second (getconf CLK_TCK).
func clockTicks() (int64, error) {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return 0, fmt.Errorf("getconf CLK_TCK: %w", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("getconf CLK_TCK said %q", out)
	}
	return n, nil
}
