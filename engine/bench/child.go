package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// childEnv selects a child mode when this binary is run again by the
// harness: "backend", "appliance" or "goproxy". childConfigEnv carries the mode's
// configuration as JSON.
const (
	childEnv       = "SIMPHONY_REMOTE_BENCH_CHILD"
	childConfigEnv = "SIMPHONY_REMOTE_BENCH_CONFIG"
)

// runChild runs a child mode until it is told to stop (SIGTERM or SIGINT),
// and returns the process's exit code. A child announces itself with one
// JSON line on stdout once it serves.
func runChild(mode string) int {
	var err error
	switch mode {
	case "backend":
		err = serveBackend(os.Getenv(childConfigEnv))
	case "appliance":
		err = serveAppliance(os.Getenv(childConfigEnv))
	case "goproxy":
		err = serveGoProxy(os.Getenv(childConfigEnv))
	default:
		err = fmt.Errorf("unknown child mode %q", mode)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench %s: %v\n", mode, err)
		return 1
	}
	return 0
}

// announce writes a child's ready line.
func announce(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(os.Stdout, "%s\n", b)
	return err
}

// process is a child process the harness started: one of its own modes,
// CHP, or a tool. Stop ends it (and its process group).
type process struct {
	name string
	cmd  *exec.Cmd
	log  string // its stderr, in the run's temporary directory
	done chan error
}

// startProcess starts cmd in its own process group, killed if the harness
// dies, with stderr (and stdout unless ready is wanted) going to a log file
// in dir. With ready set, it waits for the first stdout line, a JSON value,
// and decodes it into ready.
func startProcess(ctx context.Context, name, dir string, cmd *exec.Cmd, ready any, timeout time.Duration) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var stdout io.ReadCloser
	if ready != nil {
		if stdout, err = cmd.StdoutPipe(); err != nil {
			return nil, err
		}
	} else {
		cmd.Stdout = logFile
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan error, 1)}
	line := make(chan string, 1)
	if stdout != nil {
		go func() {
			sc := bufio.NewScanner(stdout)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			if sc.Scan() {
				line <- sc.Text()
			}
			close(line)
			_, _ = io.Copy(io.Discard, stdout)
		}()
	}
	go func() { p.done <- cmd.Wait() }()
	if ready == nil {
		return p, nil
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case l, ok := <-line:
		if ok {
			if err := json.Unmarshal([]byte(l), ready); err != nil {
				p.Stop()
				return nil, fmt.Errorf("%s announced %q: %w", name, l, err)
			}
			return p, nil
		}
		p.Stop()
		return nil, fmt.Errorf("%s exited before it was ready%s", name, p.tail())
	case <-timer.C:
		p.Stop()
		return nil, fmt.Errorf("%s was not ready within %s%s", name, timeout, p.tail())
	case <-ctx.Done():
		p.Stop()
		return nil, ctx.Err()
	}
}

// Pid is the process id.
func (p *process) Pid() int { return p.cmd.Process.Pid }

// Alive says whether the process still runs.
func (p *process) Alive() bool {
	select {
	case err := <-p.done:
		p.done <- err
		return false
	default:
		return true
	}
}

// Stop asks the process group to end (SIGTERM), then kills it after 20 s.
func (p *process) Stop() {
	if p == nil || !p.Alive() {
		return
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		err := <-p.done
		p.done <- err
	}
}

// tail is the end of the process's log, for error messages.
func (p *process) tail() string {
	b, err := os.ReadFile(p.log)
	if err != nil || len(b) == 0 {
		return ""
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 3000 {
		s = "…" + s[len(s)-3000:]
	}
	return ":\n" + s
}

// selfCommand runs this binary again in a child mode with a configuration.
func selfCommand(mode string, config any) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childConfigEnv+"="+string(b))
	return cmd, nil
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// serveHTTP serves h on listen until SIGTERM or Ctrl-C, announcing its
// address to the harness once it listens (the backend's and the Go
// proxy's children).
func serveHTTP(listen string, h http.Handler) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := announce(backendReady{Addr: ln.Addr().String()}); err != nil {
		return err
	}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
