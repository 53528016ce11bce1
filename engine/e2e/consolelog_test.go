package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/appliance"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
)

// logRecord is a log line's JSON record, as far as these tests look.
type logRecord struct {
	Level     string `json:"level"`
	Time      string `json:"time"`
	Message   string `json:"message"`
	Component string `json:"component"`
	Listen    string `json:"listen"`
	Address   string `json:"address"`
}

// readLog reads the appliance's log through c until some line after after
// satisfies found, or fails after 30 s; it returns the records read.
func readLog(t *testing.T, c *admin.Client, after uint64, what string, found func(logRecord) bool) (uint64, []logRecord) {
	t.Helper()
	var all []logRecord
	deadline := time.Now().Add(30 * time.Second)
	for {
		p, err := c.Log(t.Context(), after, admin.LogMax)
		if err != nil {
			t.Fatalf("reading the log through the admin socket: %v", err)
		}
		for _, l := range p.Lines {
			if l.Seq != after+1 && after != 0 {
				t.Fatalf("line %d after line %d", l.Seq, after)
			}
			var rec logRecord
			if err := json.Unmarshal(l.Line, &rec); err != nil || rec.Level == "" || rec.Time == "" {
				t.Fatalf("log line %d is not a record with a level and a time: %s (%v)", l.Seq, l.Line, err)
			}
			all = append(all, rec)
			after = l.Seq
			if found(rec) {
				return after, all
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no line in the appliance's log %s after 30 s; read %d lines", what, len(all))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConsoleLogOfTheAppliance: the live log that the desktop console
// tails through the admin socket is the running appliance's, Caddy's lines
// included, the newest as they come; an administrator over HTTPS does not
// get it.
func TestConsoleLogOfTheAppliance(t *testing.T) {
	dockertest.Require(t)
	s := appliancetest.Start(t)
	c := admin.DialSocket(filepath.Join(s.Config.DataDir, appliance.SocketName))
	defer c.CloseIdleConnections()

	// The log from the start: the appliance's lines and Caddy's.
	_, recs := readLog(t, c, 0, `saying "serving"`, func(r logRecord) bool { return r.Message == "serving" })
	if recs[len(recs)-1].Listen != s.Config.Listen {
		t.Errorf(`the "serving" line: %+v, want listen %s`, recs[len(recs)-1], s.Config.Listen)
	}
	readLog(t, c, 0, "of Caddy's", func(r logRecord) bool { return r.Component == "caddy" })

	// Over HTTPS, an administrator does not get the log.
	b := s.Login("admin", s.AdminPassword)
	resp := b.Do("GET", "/api/v1/admin/log", nil, http.Header{"Accept": {"application/json"}})
	if body := appliancetest.ReadBody(resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "use the desktop console") {
		t.Errorf("GET /api/v1/admin/log over HTTPS: %d %s, want 403 naming the console", resp.StatusCode, body)
	}

	// The console tails the log: what happens now comes after what it
	// read, line after line.
	mark := tail(t, c)
	resp = s.NewBrowser().PostForm("/login", url.Values{"username": {"admin"}, "password": {"not the password"}, "next": {"/"}})
	resp.Body.Close()
	readLog(t, c, mark, `saying "sign-in failed"`, func(r logRecord) bool { return r.Message == "sign-in failed" && r.Address == "127.0.0.1" })
}

// tail reads the log to its end and returns the number of its last line.
func tail(t *testing.T, c *admin.Client) uint64 {
	t.Helper()
	var after uint64
	for {
		p, err := c.Log(t.Context(), after, admin.LogMax)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Lines) == 0 {
			return p.Next
		}
		after = p.Next
	}
}

// TestServeKeepsItsLogForTheConsole runs `simphony-remote serve` with its
// log for people on stderr: the admin socket still serves every line as
// JSON, Caddy's included.
func TestServeKeepsItsLogForTheConsole(t *testing.T) {
	dockertest.Require(t)
	data := t.TempDir()
	port := appliancetest.FreePort(t)
	cmd := exec.Command(binary(t), "serve", "--data", data, "--listen", fmt.Sprintf("127.0.0.1:%d", port))
	// At debug, Caddy's info lines show (at info, only its warnings).
	cmd.Env = append(os.Environ(), "SIMPHONY_REMOTE_LOG_FORMAT=console", "SIMPHONY_REMOTE_LOG_LEVEL=debug")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr appliancetest.SafeBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("serve did not stop within 30 s of SIGTERM")
		}
	}()
	running := false
	for sc := bufio.NewScanner(stdout); sc.Scan(); {
		if strings.HasPrefix(sc.Text(), "SimPhoNy Remote is running at ") {
			running = true
			break
		}
	}
	if !running {
		t.Fatalf("serve did not say it runs; stderr:\n%s", stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	c := admin.DialSocket(filepath.Join(data, appliance.SocketName))
	defer c.CloseIdleConnections()
	_, recs := readLog(t, c, 0, `saying "serving"`, func(r logRecord) bool { return r.Message == "serving" })
	caddy := 0
	for _, r := range recs {
		if r.Component == "caddy" {
			caddy++
		}
	}
	if caddy == 0 {
		t.Errorf("none of the %d lines before \"serving\" is Caddy's", len(recs))
	}
	// Meanwhile stderr is for people.
	log := stderr.String()
	if !strings.Contains(log, "INF") || !strings.Contains(log, "serving") || strings.Contains(log, `"message":"serving"`) {
		t.Errorf("serve's stderr is not the console format:\n%s", log)
	}
}
