package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/app"
	"github.com/simphony/simphony-remote/app/apptest"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/appliance"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
)

// requireDesktop fails under CI, and skips elsewhere, when the console
// cannot be built and run here.
func requireDesktop(t *testing.T) {
	t.Helper()
	if miss := apptest.Missing(); miss != "" {
		msg := "the console's window test needs " + miss
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED: " + msg)
	}
	if _, err := exec.LookPath("chromium"); err != nil {
		msg := "the console's window test needs Debian's chromium (make testdeps installs it)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED: " + msg)
	}
}

// consoleLog collects the console's JSON log lines.
type consoleLog struct {
	mu    sync.Mutex
	lines []map[string]any
	raw   strings.Builder
}

func (l *consoleLog) follow(r *bufio.Scanner) {
	for r.Scan() {
		var m map[string]any
		line := r.Text()
		l.mu.Lock()
		l.raw.WriteString(line + "\n")
		if json.Unmarshal([]byte(line), &m) == nil {
			l.lines = append(l.lines, m)
		}
		l.mu.Unlock()
	}
}

// since is the number of lines so far, for wait.
func (l *consoleLog) since() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

// wait waits for a line after the first `from` with the given message and
// fields.
func (l *consoleLog) wait(from int, timeout time.Duration, message string, fields map[string]string) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		l.mu.Lock()
		for _, m := range l.lines[from:] {
			if m["message"] != message {
				continue
			}
			ok := true
			for k, v := range fields {
				ok = ok && m[k] == v
			}
			if ok {
				l.mu.Unlock()
				return true
			}
		}
		l.mu.Unlock()
	}
	return false
}

func (l *consoleLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.raw.String()
}

// TestConsoleWindow builds the desktop console, opens it under Xvfb next
// to a running appliance, and creates the user carol with the mouse and
// the keyboard; the appliance has her afterwards.
func TestConsoleWindow(t *testing.T) {
	requireDesktop(t)
	s := appliancetest.Start(t)
	sock := filepath.Join(s.Config.DataDir, appliance.SocketName)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()

	dir := t.TempDir()
	bin, err := apptest.Build(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	const width, height = 1280, 900
	d, err := apptest.StartDisplay(dir, width, height)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	cmd := exec.Command(bin, "console", "--data", s.Config.DataDir)
	cmd.Env = append(d.Env(), "SIMPHONY_REMOTE_LOG_LEVEL=debug", "SIMPHONY_REMOTE_LOG_FORMAT=json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	log := &consoleLog{}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go log.follow(bufio.NewScanner(stderr))
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("the console's log:\n%s", log)
		}
	}()

	var win string
	for deadline := time.Now().Add(90 * time.Second); win == ""; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no window %q within 90 s", app.Title)
		}
		win = d.Window(ctx, app.Title)
	}
	if !log.wait(0, 60*time.Second, "the console shows its first page", nil) {
		t.Fatal("the console showed no page within 60 s")
	}
	if !log.wait(0, 10*time.Second, "served", map[string]string{"path": "/admin/"}) {
		t.Fatal("the window did not open on the dashboard (the appliance runs)")
	}
	geo, err := d.Geometry(ctx, win)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the console's window %s is at %v", win, geo)
	shot(t, d, geo, "console-dashboard")

	// Where things are on the pages: measured in Chromium on the same
	// handler at the window's size (the same style and fonts as WebKit).
	at := measure(t, sock, geo.Dx(), geo.Dy(), map[string]string{
		"machine": `/admin/ nav.admin-nav a[href="/machine/"]`,
		"users":   `/admin/ nav.admin-nav a[href="/admin/users"]`,
		"name":    `/admin/users input[name="name"]`,
	})
	click := func(what string) {
		t.Helper()
		p := at[what]
		if _, err := d.Xdotool(ctx, "mousemove", "--window", win, fmt.Sprint(p.X), fmt.Sprint(p.Y), "click", "1"); err != nil {
			t.Fatal(err)
		}
	}
	// opened waits for the window to ask for method path, and show it.
	opened := func(from int, method, path string) {
		t.Helper()
		if !log.wait(from, 20*time.Second, "served", map[string]string{"method": method, "path": path}) {
			t.Fatalf("the window did not ask for %s %s", method, path)
		}
		if !log.wait(from, 20*time.Second, "page ready", nil) {
			t.Fatalf("the window did not show the page of %s %s", method, path)
		}
	}

	// This machine, with the mouse: the appliance runs.
	from := log.since()
	click("machine")
	opened(from, "GET", "/machine/")
	if !log.wait(from, 20*time.Second, "status", map[string]string{"problem": ""}) {
		t.Fatal("the machine page did not ask for the appliance's status, or found it not running")
	}
	shot(t, d, geo, "console-machine")

	// Users, with the mouse.
	from = log.since()
	click("users")
	opened(from, "GET", "/admin/users")
	// carol, with the keyboard: her name, and Enter sends the form (an
	// empty password makes one).
	from = log.since()
	click("name")
	if _, err := d.Xdotool(ctx, "type", "--delay", "60", "carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Xdotool(ctx, "key", "Return"); err != nil {
		t.Fatal(err)
	}
	opened(from, "POST", "/admin/users")
	client := admin.DialSocket(sock)
	u, err := client.User(ctx, "carol")
	if err != nil {
		t.Fatalf("the appliance has no carol after the form: %v", err)
	}
	if u.Admin || u.Disabled {
		t.Errorf("carol was created as %+v", u)
	}
	// What the window shows: her generated password, once.
	shot(t, d, geo, "console-user-created")
}

// measure opens each page (path, then a CSS selector) of the console's
// handler in headless Chromium at w×h and returns the middle of the
// element.
func measure(t *testing.T, sock string, w, h int, what map[string]string) map[string]image.Point {
	t.Helper()
	m := &app.Machine{Socket: sock, DataDir: filepath.Dir(sock), Appliance: admin.DialSocket(sock), Log: zerolog.Nop()}
	hd, err := app.Handler(m, admin.DialSocket(sock))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hd)
	defer srv.Close()
	// Chromium's own temporary files (its singleton socket), left behind
	// when the test ends it, go with the profile.
	profile := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath("chromium"), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.UserDataDir(profile), chromedp.Env("TMPDIR="+profile), chromedp.WindowSize(w, h))
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancel()
	cctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(cctx); err != nil {
		t.Fatal(err)
	}
	out := map[string]image.Point{}
	for name, spec := range what {
		path, sel, _ := strings.Cut(spec, " ")
		ctx, cancel := context.WithTimeout(cctx, 60*time.Second)
		err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(w), int64(h)), chromedp.Navigate(srv.URL+path), chromedp.WaitVisible(chromedp.CSS(sel)))
		if err != nil {
			cancel()
			t.Fatalf("measuring %s: %v", name, err)
		}
		box, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(r => [r.left + r.width / 2, r.top + r.height / 2])(document.querySelector(`+fmt.Sprintf("%q", sel)+`).getBoundingClientRect())`))
		cancel()
		if err != nil || len(box) != 2 {
			t.Fatalf("measuring %s: %v", name, err)
		}
		out[name] = image.Pt(int(box[0]), int(box[1]))
	}
	t.Logf("measured: %v", out)
	return out
}

// shot waits until the window shows a page that has settled (many
// colours, the same twice in a row), and saves it as a test artifact.
func shot(t *testing.T, d *apptest.Display, geo image.Rectangle, name string) {
	t.Helper()
	var img, last image.Image
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		var err error
		if img, err = d.Screen(); err != nil {
			t.Fatal(err)
		}
		img = img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(geo)
		if apptest.Colours(img, img.Bounds(), 16) >= 16 && last != nil && apptest.Same(img, last) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: the window did not settle on a page (%d colours)", name, apptest.Colours(img, img.Bounds(), 16))
			break
		}
		last = img
	}
	dir := os.Getenv("SIMPHONY_TEST_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name+".png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s: %s", name, path)
}
