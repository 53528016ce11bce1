package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/app"
	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/appliance"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/version"
)

// machineOn is the console's Machine on the appliance whose admin socket
// is sock.
func machineOn(sock string, svc app.Service) *app.Machine {
	return &app.Machine{Socket: sock, DataDir: filepath.Dir(sock), Appliance: admin.DialSocket(sock), Service: svc, Log: zerolog.Nop()}
}

// TestStatusOfRunningAppliance: what the "This machine" page shows of a
// running appliance is what it is.
func TestStatusOfRunningAppliance(t *testing.T) {
	s := appliancetest.Start(t)
	sock := filepath.Join(s.Config.DataDir, appliance.SocketName)
	m := machineOn(sock, nil)
	st, err := m.Status()
	if err != nil {
		t.Fatal(err)
	}
	if !st.Running || st.Problem != "" || st.Fix != "" {
		t.Fatalf("a running appliance: %+v", st)
	}
	if st.Version != version.Version || st.ConsoleVersion != version.Version || st.VersionWarning != "" {
		t.Errorf("versions: %+v", st)
	}
	if st.PID != os.Getpid() {
		t.Errorf("pid %d, want this test's %d", st.PID, os.Getpid())
	}
	_, port, _ := net.SplitHostPort(s.Config.Listen)
	if u, err := url.Parse(st.URL); err != nil || u.Port() != port || u.Scheme != "https" {
		t.Errorf("url %q, want https on port %s", st.URL, port)
	}
	if len(st.CAFingerprint) < 64 {
		t.Errorf("the CA's fingerprint: %q", st.CAFingerprint)
	}
	if st.Docker != "ok" {
		t.Errorf("docker: %q", st.Docker)
	}
	if started, err := time.Parse(time.RFC3339, st.Started); err != nil || time.Since(started) > 5*time.Minute || st.Uptime == "" {
		t.Errorf("started %q (%v), uptime %q", st.Started, err, st.Uptime)
	}
	if st.Unit.Error == "" {
		t.Errorf("no systemd service given, yet the unit's state has no error: %+v", st.Unit)
	}

	// The portal opens in the browser at the appliance's URL.
	var opened string
	m.OpenURL = func(u string) error { opened = u; return nil }
	if err := m.OpenPortal(); err != nil || opened != st.URL {
		t.Errorf("OpenPortal: %v, opened %q, want %q", err, opened, st.URL)
	}
}

// TestStatusWhenNotRunning: no socket, or a socket nobody answers on,
// says the appliance is not running and how to start it.
func TestStatusWhenNotRunning(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, appliance.SocketName)
	st, err := machineOn(sock, nil).Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.Running || !strings.Contains(st.Problem, "not running") || !strings.Contains(st.Problem, sock) || st.Fix != "Start it: simphony-remote serve --data "+dir {
		t.Errorf("no socket: %+v", st)
	}
	// With a systemd unit, the way is the unit.
	st, _ = machineOn(sock, fakeService{state: app.UnitState{Exists: true, Active: "inactive"}}).Status()
	if !strings.Contains(st.Fix, "sudo systemctl start simphony-remote.service") || !st.Unit.Exists {
		t.Errorf("no socket, with a unit: %+v", st)
	}

	// A socket left behind by an appliance that died.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	st, _ = machineOn(sock, nil).Status()
	if st.Running || !strings.Contains(st.Problem, "nobody answers") || !strings.Contains(st.Fix, "simphony-remote serve") {
		t.Errorf("stale socket: %+v", st)
	}
	// Its log and its portal say the same.
	if _, err := machineOn(sock, nil).LogAfter(0); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("LogAfter of a stopped appliance: %v", err)
	}
	if err := machineOn(sock, nil).OpenPortal(); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("OpenPortal of a stopped appliance: %v", err)
	}
}

// TestStatusWhenSocketIsNotYours: a user who may not open the socket is
// told which group to join. The check runs as the user nobody (this test
// runs as root, which may open anything).
func TestStatusWhenSocketIsNotYours(t *testing.T) {
	if os.Getenv("CONSOLE_TEST_STATUS_OF") != "" {
		// The child, as nobody.
		st, err := machineOn(os.Getenv("CONSOLE_TEST_STATUS_OF"), nil).Status()
		if err != nil {
			t.Fatal(err)
		}
		_ = json.NewEncoder(os.Stdout).Encode(st)
		return
	}
	if os.Getuid() != 0 {
		msg := "this test runs a check as the user nobody, which needs root"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED: " + msg)
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	// A directory everybody may enter, with the test binary and a socket
	// of mode 0660 owned by root and the group "adm" (any group nobody is
	// not in).
	dir, err := os.MkdirTemp("", "console-socket-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	group, err := user.LookupGroup("adm")
	if err != nil {
		t.Fatal(err)
	}
	gid, _ := strconv.Atoi(group.Gid)
	sock := filepath.Join(dir, appliance.SocketName)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := os.Chmod(sock, 0o660); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(sock, 0, gid); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "app.test")
	if b, err := os.ReadFile(self); err != nil || os.WriteFile(bin, b, 0o755) != nil {
		t.Fatalf("copying the test binary: %v", err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	ngid, _ := strconv.Atoi(nobody.Gid)
	cmd := exec.Command(bin, "-test.run", "^TestStatusWhenSocketIsNotYours$")
	cmd.Env = append(os.Environ(), "CONSOLE_TEST_STATUS_OF="+sock)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(ngid)}}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the check as nobody: %v\n%s", err, out)
	}
	var st app.Status
	if err := json.NewDecoder(strings.NewReader(string(out))).Decode(&st); err != nil {
		t.Fatalf("the check as nobody printed %q: %v", out, err)
	}
	if st.Running || !strings.Contains(st.Problem, "may not use") || !strings.Contains(st.Problem, "group adm") ||
		!strings.Contains(st.Fix, "sudo usermod -aG adm $USER") {
		t.Errorf("as nobody: %+v", st)
	}
}

// fakeService is a systemd unit in memory.
type fakeService struct {
	state app.UnitState
	err   error
	calls *[]string
}

func (f fakeService) State(context.Context, string) (app.UnitState, error) { return f.state, f.err }
func (f fakeService) Control(_ context.Context, verb, unit string) error {
	if f.calls != nil {
		*f.calls = append(*f.calls, verb+" "+unit)
	}
	return f.err
}

// TestServiceControl: the buttons run the unit's jobs, and say why not
// when they cannot.
func TestServiceControl(t *testing.T) {
	var calls []string
	m := machineOn(filepath.Join(t.TempDir(), "admin.sock"), fakeService{calls: &calls})
	if err := errors.Join(m.StartService(), m.RestartService(), m.StopService()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(calls, ", "); got != "start simphony-remote.service, restart simphony-remote.service, stop simphony-remote.service" {
		t.Errorf("jobs: %s", got)
	}
	m.Service = fakeService{err: errors.New("access denied")}
	if err := m.StartService(); err == nil || !strings.Contains(err.Error(), "start simphony-remote.service: access denied") {
		t.Errorf("a refused start: %v", err)
	}
	m.Service = nil
	if err := m.StopService(); err == nil || !strings.Contains(err.Error(), "cannot reach systemd") || !strings.Contains(err.Error(), "simphony-remote serve --data") {
		t.Errorf("no systemd: %v", err)
	}
}

// TestSystemdHere: systemd's D-Bus API, for real on this machine: a unit
// that does not exist is not there, and without systemd the console says
// so.
func TestSystemdHere(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	st, err := app.Systemd{}.State(ctx, "simphony-remote-no-such-unit-"+strconv.Itoa(os.Getpid())+".service")
	if _, serr := os.Stat("/run/systemd/system"); serr != nil {
		// No systemd (a container, as in CI).
		if err == nil || !strings.Contains(err.Error(), "systemd does not answer on the system bus") {
			t.Errorf("without systemd: %+v, %v", st, err)
		}
		if err := (app.Systemd{}).Control(ctx, "start", app.Unit); err == nil || !strings.Contains(err.Error(), "systemd does not answer") {
			t.Errorf("starting without systemd: %v", err)
		}
		return
	}
	if err != nil || st.Exists {
		t.Errorf("a unit that does not exist: %+v, %v", st, err)
	}
}

// panicky panics in every call.
type panicky struct{}

func (panicky) Info(context.Context) (admin.Info, error)   { var p *admin.Info; return *p, nil }
func (panicky) Stats(context.Context) (admin.Stats, error) { panic("stats") }
func (panicky) Log(context.Context, uint64, int) (admin.LogPage, error) {
	panic("log")
}

// TestBoundMethodsRecover: a panic in a bound method (here a nil
// dereference) becomes its error; the console keeps running.
func TestBoundMethodsRecover(t *testing.T) {
	m := &app.Machine{Socket: "x", Appliance: panicky{}, Log: zerolog.Nop()}
	if _, err := m.Status(); err == nil || !strings.Contains(err.Error(), "the console hit a bug in Status") {
		t.Errorf("Status: %v", err)
	}
	if _, err := m.LogAfter(0); err == nil || !strings.Contains(err.Error(), "bug in LogAfter") {
		t.Errorf("LogAfter: %v", err)
	}
	if err := m.OpenPortal(); err == nil || !strings.Contains(err.Error(), "bug in OpenPortal") {
		t.Errorf("OpenPortal: %v", err)
	}
	m.Service = panickyService{}
	if err := m.RestartService(); err == nil || !strings.Contains(err.Error(), "bug in RestartService") {
		t.Errorf("RestartService: %v", err)
	}
}

type panickyService struct{}

func (panickyService) State(context.Context, string) (app.UnitState, error) { panic("state") }
func (panickyService) Control(context.Context, string, string) error        { panic("control") }

// TestLogAfter: the console tails the appliance's log through the socket.
func TestLogAfter(t *testing.T) {
	s := appliancetest.Start(t)
	m := machineOn(filepath.Join(s.Config.DataDir, appliance.SocketName), nil)
	page, err := m.LogAfter(0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(page.Lines, "\n"), `"message":"serving"`) {
		t.Errorf("the log from its start has no \"serving\":\n%s", strings.Join(page.Lines, "\n"))
	}
	// Something new happens: it is in the next page, and only it.
	hash, _ := auth.HashPassword("password-dora")
	if err := s.App.Store().CreateUser(t.Context(), accounting.User{Name: "dora", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	s.Login("dora", "password-dora") // logs "signed in", user dora
	var next app.LogPage
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if next, err = m.LogAfter(page.Next); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.Join(next.Lines, "\n"), `"dora"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no line about dora after %d: %q", page.Next, next.Lines)
		}
	}
	if strings.Contains(strings.Join(next.Lines, "\n"), `"message":"serving"`) {
		t.Errorf("the next page repeats older lines: %q", next.Lines)
	}
}

// TestConsoleHandler: the window's pages, over a running appliance: it
// opens on the dashboard, the admin pages have no account or sign-out and
// a "This machine" page, a form goes through without a password or a CSRF
// token (only the window reaches the handler), and its answer is the page
// it leads to (the window follows no redirect), with its message.
func TestConsoleHandler(t *testing.T) {
	s := appliancetest.Start(t)
	sock := filepath.Join(s.Config.DataDir, appliance.SocketName)
	m := machineOn(sock, nil)
	h, err := app.Handler(m, admin.DialSocket(sock))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		t.Error("the console's handler answered with a redirect")
		return http.ErrUseLastResponse
	}}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := noFollow.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, appliancetest.ReadBody(resp)
	}
	if code, body := get("/"); code != http.StatusOK || !strings.Contains(body, "<h1>Dashboard</h1>") || !strings.Contains(body, `<meta name="simphony-location" content="/admin/">`) {
		t.Errorf("/ of a running appliance: %d\n%s", code, body)
	}
	code, body := get("/admin/users")
	if code != http.StatusOK || strings.Contains(body, "Sign out") || strings.Contains(body, "/account") || !strings.Contains(body, `href="/machine/"`) {
		t.Errorf("/admin/users in the console: %d\n%s", code, body)
	}
	code, body = get("/machine/")
	if code != http.StatusOK || !strings.Contains(body, "<h1>This machine</h1>") || !strings.Contains(body, sock) || !strings.Contains(body, `/static/console.js`) {
		t.Errorf("/machine/: %d\n%s", code, body)
	}
	if code, _ := get("/static/console.js"); code != http.StatusOK {
		t.Errorf("/static/console.js: %d", code)
	}
	resp, err := noFollow.PostForm(srv.URL+"/admin/users", url.Values{"name": {"erin"}})
	if err != nil {
		t.Fatal(err)
	}
	body = appliancetest.ReadBody(resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Created user erin.") || !strings.Contains(body, "Password of erin") {
		t.Errorf("creating erin: %s\n%s", resp.Status, body)
	}
	if _, err := s.App.Store().User(t.Context(), "erin"); err != nil {
		t.Errorf("erin: %v", err)
	}
	// Another site's form is still refused.
	req, _ := http.NewRequest("POST", srv.URL+"/admin/users", strings.NewReader("name=mallory"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := noFollow.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site form: %v %v", resp, err)
	}
	if _, err := s.App.Store().User(t.Context(), "mallory"); err == nil {
		t.Error("a cross-site form made mallory")
	}

	// Stopped, the window opens on "This machine", which says what to do.
	s.Stop()
	if code, body := get("/"); code != http.StatusOK || !strings.Contains(body, "<h1>This machine</h1>") {
		t.Errorf("/ of a stopped appliance: %d\n%s", code, body)
	}
}

// fakeAppliance answers Info with info, and Log with log.
type fakeAppliance struct {
	mu   sync.Mutex
	info admin.Info
	log  func(after uint64) admin.LogPage
}

func (f *fakeAppliance) setStarted(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.info.Started = t
}

func (f *fakeAppliance) Info(context.Context) (admin.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.info, nil
}
func (f *fakeAppliance) Stats(context.Context) (admin.Stats, error) {
	return admin.Stats{Docker: "ok"}, nil
}
func (f *fakeAppliance) Log(_ context.Context, after uint64, _ int) (admin.LogPage, error) {
	return f.log(after), nil
}

// TestVersionMismatch: an appliance of another version than the console
// is said so, with what to do.
func TestVersionMismatch(t *testing.T) {
	m := &app.Machine{Socket: "x", Appliance: &fakeAppliance{info: admin.Info{Version: "v0.0.1-old"}}, Log: zerolog.Nop()}
	st, err := m.Status()
	if err != nil {
		t.Fatal(err)
	}
	if !st.Running || !strings.Contains(st.VersionWarning, "The appliance runs version v0.0.1-old and this console is version "+version.Version) ||
		!strings.Contains(st.VersionWarning, "Install the same version of both") {
		t.Errorf("another version: %+v", st)
	}
}
