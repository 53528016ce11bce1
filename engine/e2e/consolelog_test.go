package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
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
	"github.com/simphony/simphony-remote/engine/version"
)

// caFingerprint is the SHA-256 of the local CA's root in dataDir, as the
// sign-in page shows it.
func caFingerprint(t *testing.T, dataDir string) string {
	t.Helper()
	caPEM, err := os.ReadFile(filepath.Join(dataDir, "caddy", "pki", "authorities", "local", "root.crt"))
	if err != nil {
		t.Fatalf("reading the local CA: %v", err)
	}
	block, _ := pem.Decode(caPEM)
	if block == nil {
		t.Fatal("the local CA's root is not PEM")
	}
	sum := sha256.Sum256(block.Bytes)
	return strings.ReplaceAll(strings.ToUpper(fmt.Sprintf("% x", sum[:])), " ", ":")
}

// TestConsoleFactsOfTheAppliance: what the desktop console shows on its
// "This machine" page, through the admin socket, is the running
// appliance's own: its version, process, start, address and CA. An
// administrator over HTTPS gets the same.
func TestConsoleFactsOfTheAppliance(t *testing.T) {
	dockertest.Require(t)
	before := time.Now()
	s := appliancetest.Start(t)
	c := admin.DialSocket(filepath.Join(s.Config.DataDir, appliance.SocketName))
	defer c.CloseIdleConnections()

	info, err := c.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	v := version.Get()
	if info.Version != version.Version || info.Commit != v.Commit || info.PID != os.Getpid() || info.URL != s.URL+"/" {
		t.Errorf("info: version %q commit %q pid %d url %q; want %q %q %d %q", info.Version, info.Commit, info.PID, info.URL, version.Version, v.Commit, os.Getpid(), s.URL+"/")
	}
	if fp := caFingerprint(t, s.Config.DataDir); info.CAFingerprint != fp {
		t.Errorf("info: CA fingerprint %q, want %q", info.CAFingerprint, fp)
	}
	if info.Started.Before(before.Truncate(time.Second)) || info.Started.After(time.Now()) {
		t.Errorf("info: started %v, want between %v and now", info.Started, before)
	}

	b := s.Login("admin", s.AdminPassword)
	resp := b.Do("GET", "/api/v1/admin/info", nil, http.Header{"Accept": {"application/json"}})
	var wi struct {
		Version       string    `json:"version"`
		Started       time.Time `json:"started"`
		URL           string    `json:"url"`
		PID           int       `json:"pid"`
		CAFingerprint string    `json:"ca_fingerprint"`
	}
	if body := appliancetest.ReadBody(resp); resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &wi) != nil ||
		wi.Version != info.Version || !wi.Started.Equal(info.Started) || wi.URL != info.URL || wi.PID != info.PID || wi.CAFingerprint != info.CAFingerprint {
		t.Errorf("GET /api/v1/admin/info over HTTPS: %d %s; want %+v", resp.StatusCode, body, info)
	}
}

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
// JSON, Caddy's included, and tells the serving process's facts.
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
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantURL := fmt.Sprintf("https://127.0.0.1:%d/", port)
	if info.PID != cmd.Process.Pid || info.URL != wantURL || info.Version != version.Version || info.CAFingerprint != caFingerprint(t, data) || info.Started.IsZero() {
		t.Errorf("info %+v; want pid %d, url %s, version %s and the CA's fingerprint", info, cmd.Process.Pid, wantURL, version.Version)
	}
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
