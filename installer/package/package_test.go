package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestDebVersion(t *testing.T) {
	for _, tc := range []struct {
		describe string
		commits  int
		want     string
	}{
		{"dd50651", 322, "0.0~git322.dd50651"},
		{"dd50651-dirty", 322, "0.0~git322.dd50651+dirty"},
		{"dd50651", 0, "0.0~gitdd50651"},
		{"v1.2.0", 0, "1.2.0"},
		{"1.2.0", 0, "1.2.0"},
		{"v1.2.0-14-g3f2b8c0", 0, "1.2.0+14.g3f2b8c0"},
		{"v1.2.0-14-g3f2b8c0-dirty", 0, "1.2.0+14.g3f2b8c0.dirty"},
		{"v1.2.0-rc1", 0, "1.2.0~rc1"},
		{"v1.2.0-rc1-2-gabcdef0", 0, "1.2.0~rc1+2.gabcdef0"},
		{"v1.2.0-dirty", 0, "1.2.0+dirty"},
		{"dev", 0, "0.0~dev"},
	} {
		got, err := debVersion(tc.describe, tc.commits)
		if err != nil || got != tc.want {
			t.Errorf("debVersion(%q, %d) = %q, %v; want %q", tc.describe, tc.commits, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "release/x", "v", "-dirty", "v1.2.0_beta"} {
		if got, err := debVersion(bad, 3); err == nil {
			t.Errorf("debVersion(%q) = %q, want an error", bad, got)
		}
	}
}

// TestDebVersionOrder checks with dpkg that a later build makes a newer
// package: an upgrade must be one.
func TestDebVersionOrder(t *testing.T) {
	need(t, "dpkg")
	order := [][2]string{ // older, newer
		{"0.0~git321.ffffff0", "0.0~git322.0000001"},
		{"0.0~git322.dd50651", "0.0~git322.dd50651+dirty"},
		{"0.0~git999.abc", "1.0.0~rc1"},
		{"1.0.0~rc1", "1.0.0"},
		{"1.0.0", "1.0.0+3.gabc1234"},
		{"1.0.0+3.gabc1234", "1.0.1"},
	}
	for _, p := range order {
		if err := exec.Command("dpkg", "--compare-versions", p[0], "lt", p[1]).Run(); err != nil {
			t.Errorf("dpkg does not take %s for older than %s: %v", p[0], p[1], err)
		}
	}
}

// need fails under CI, and skips elsewhere, without the tool.
func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			msg := tool + " is needed (Debian's dpkg and systemd packages; make testdeps installs shellcheck)"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip("SKIPPED: " + msg)
		}
	}
}

// repoRoot is the repository's top directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// binaries builds the server and the starter as make build does, into a
// temporary bin directory. The console is a stand-in there: building it
// (cgo, GTK and WebKitGTK) takes minutes, and the console's own tests build
// and run the real one; what is checked here is how it is packaged.
func binaries(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	for _, b := range []struct {
		out, pkg string
		env      []string
	}{
		{"simphony-remote", ".", nil},
		{"simphony-remote-starter", "./installer/images/starter", []string{"CGO_ENABLED=0"}},
	} {
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(bin, b.out), b.pkg)
		cmd.Dir = repoRoot(t)
		cmd.Env = append(os.Environ(), b.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", b.out, err, out)
		}
	}
	stand := "#!/bin/sh\necho 'a stand-in for the desktop console'\n"
	if err := os.WriteFile(filepath.Join(bin, "simphony-remote-console"), []byte(stand), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// entry is a line of dpkg-deb --contents.
type entry struct{ mode, owner string }

var contentsLine = regexp.MustCompile(`^(\S+) (\S+)\s+\d+ \S+ \S+ \./(.*)$`)

func contents(t *testing.T, deb string) map[string]entry {
	t.Helper()
	m := map[string]entry{}
	for _, line := range strings.Split(strings.TrimSpace(run(t, "dpkg-deb", "--contents", deb)), "\n") {
		f := contentsLine.FindStringSubmatch(line)
		if f == nil {
			t.Fatalf("dpkg-deb --contents line %q", line)
		}
		m["/"+strings.TrimSuffix(f[3], "/")] = entry{f[1], f[2]}
	}
	return m
}

// TestPackages builds both packages with the program and checks them with
// dpkg-deb: the files, their modes and owners, the conffile, the
// maintainer scripts, the relations and the version; then runs the
// packaged binary on the packaged configuration and verifies the packaged
// unit with systemd-analyze.
func TestPackages(t *testing.T) {
	need(t, "dpkg-deb", "systemd-analyze")
	root := repoRoot(t)
	out := filepath.Join(t.TempDir(), "dist")
	paths, err := build(options{describe: "abc1234-dirty", commits: 7, out: out, bin: binaries(t), src: root, arch: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	const version = "0.0~git7.abc1234+dirty"
	server := filepath.Join(out, "simphony-remote_"+version+"_amd64.deb")
	console := filepath.Join(out, "simphony-remote-console_"+version+"_amd64.deb")
	if len(paths) != 2 || paths[0] != server || paths[1] != console {
		t.Fatalf("wrote %v, want %s and %s", paths, server, console)
	}
	if left, _ := filepath.Glob(filepath.Join(out, ".*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}

	t.Run("fields", func(t *testing.T) {
		for _, tc := range []struct{ deb, field, want string }{
			{server, "Package", "simphony-remote"},
			{server, "Version", version},
			{server, "Architecture", "amd64"},
			{server, "Depends", "docker.io | docker-ce, ca-certificates, adduser"},
			{server, "Recommends", "debootstrap"},
			{console, "Package", "simphony-remote-console"},
			{console, "Version", version},
			{console, "Architecture", "amd64"},
			{console, "Depends", "simphony-remote (= " + version + "), libwebkit2gtk-4.1-0, libgtk-3-0"},
		} {
			if got := strings.TrimSpace(run(t, "dpkg-deb", "--field", tc.deb, tc.field)); got != tc.want {
				t.Errorf("%s %s: %q, want %q", filepath.Base(tc.deb), tc.field, got, tc.want)
			}
		}
		if info := run(t, "dpkg-deb", "--info", server); strings.Contains(info, "gtk") || strings.Contains(info, "webkit") {
			t.Errorf("the server package mentions GTK or WebKit:\n%s", info)
		}
	})

	t.Run("contents", func(t *testing.T) {
		for _, tc := range []struct {
			deb  string
			want map[string]entry
		}{
			{server, map[string]entry{
				"/usr/bin/simphony-remote":                         {"-rwxr-xr-x", "root/root"},
				"/usr/lib/simphony-remote/simphony-remote-starter": {"-rwxr-xr-x", "root/root"},
				"/lib/systemd/system/simphony-remote.service":      {"-rw-r--r--", "root/root"},
				"/etc/simphony-remote/simphony-remote.toml":        {"-rw-r-----", "root/root"},
				"/usr/share/doc/simphony-remote/README.md":         {"-rw-r--r--", "root/root"},
				"/usr/share/doc/simphony-remote/copyright":         {"-rw-r--r--", "root/root"},
			}},
			{console, map[string]entry{
				"/usr/bin/simphony-remote-console":                                  {"-rwxr-xr-x", "root/root"},
				"/usr/share/applications/simphony-remote-console.desktop":           {"-rw-r--r--", "root/root"},
				"/usr/share/icons/hicolor/256x256/apps/simphony-remote-console.png": {"-rw-r--r--", "root/root"},
				"/usr/share/doc/simphony-remote-console/copyright":                  {"-rw-r--r--", "root/root"},
			}},
		} {
			got := contents(t, tc.deb)
			for path, want := range tc.want {
				e, ok := got[path]
				switch {
				case !ok:
					t.Errorf("%s lacks %s", filepath.Base(tc.deb), path)
				case e != want:
					t.Errorf("%s: %s is %s %s, want %s %s", filepath.Base(tc.deb), path, e.mode, e.owner, want.mode, want.owner)
				}
			}
			for path, e := range got {
				if !strings.HasPrefix(e.mode, "d") {
					if _, ok := tc.want[path]; !ok {
						t.Errorf("%s has %s, not expected", filepath.Base(tc.deb), path)
					}
				}
			}
		}
	})

	t.Run("control", func(t *testing.T) {
		ctrl := t.TempDir()
		run(t, "dpkg-deb", "--control", server, ctrl)
		conffiles, err := os.ReadFile(filepath.Join(ctrl, "conffiles"))
		if err != nil || string(conffiles) != "/etc/simphony-remote/simphony-remote.toml\n" {
			t.Errorf("conffiles: %q, %v; want the configuration file alone", conffiles, err)
		}
		for _, s := range []string{"postinst", "prerm", "postrm"} {
			got, err := os.ReadFile(filepath.Join(ctrl, s))
			want, _ := os.ReadFile(filepath.Join(root, "installer", "deb", s))
			if err != nil || string(got) != string(want) || len(want) == 0 {
				t.Errorf("%s is not installer/deb/%s: %v", s, s, err)
				continue
			}
			if fi, _ := os.Stat(filepath.Join(ctrl, s)); fi.Mode().Perm()&0o111 == 0 {
				t.Errorf("%s is not executable: %v", s, fi.Mode())
			}
		}
		if _, err := os.Stat(filepath.Join(ctrl, "preinst")); err == nil {
			t.Error("the server package has a preinst")
		}
		ctrl = t.TempDir()
		run(t, "dpkg-deb", "--control", console, ctrl)
		for _, s := range []string{"postinst", "prerm", "postrm", "conffiles"} {
			if _, err := os.Stat(filepath.Join(ctrl, s)); err == nil {
				t.Errorf("the console package has a %s", s)
			}
		}
	})

	// The packaged binary runs, finds its starter and reads the packaged
	// configuration, which has every documented option and the package's
	// data directory.
	tree := t.TempDir()
	run(t, "dpkg-deb", "--extract", server, tree)
	run(t, "dpkg-deb", "--extract", console, tree)
	t.Run("configuration", func(t *testing.T) {
		conf := filepath.Join(tree, "etc", "simphony-remote", "simphony-remote.toml")
		got := run(t, filepath.Join(tree, "usr", "bin", "simphony-remote"), "serve", "--config", conf, "--print-config")
		if !strings.Contains(got, `data_dir = "/var/lib/simphony-remote"`) {
			t.Errorf("the packaged configuration's effective data_dir is not /var/lib/simphony-remote:\n%s", got)
		}
		packaged, _ := os.ReadFile(conf)
		documented, _ := os.ReadFile(filepath.Join(root, "installer", "simphony-remote.toml"))
		if want := strings.Replace(string(documented), `data_dir = "./data"`, `data_dir = "/var/lib/simphony-remote"`, 1); string(packaged) != want {
			t.Errorf("the packaged configuration is not installer/simphony-remote.toml with the package's data_dir:\n%s", packaged)
		}
		desktop, _ := os.ReadFile(filepath.Join(tree, "usr", "share", "applications", "simphony-remote-console.desktop"))
		if !strings.Contains(string(desktop), "\nExec=simphony-remote-console console --config /etc/simphony-remote/simphony-remote.toml\n") ||
			!strings.Contains(string(desktop), "\nIcon=simphony-remote-console\n") {
			t.Errorf("the menu entry does not open the packaged appliance in the packaged console with its icon:\n%s", desktop)
		}
	})

	t.Run("service", func(t *testing.T) { serviceStarts(t, tree) })

	// systemd-analyze verify checks the unit's syntax, keys and values, and
	// that ExecStart's program exists: the packaged one, in the extracted
	// tree. It exits 0 on unknown keys, so any output is a failure too.
	t.Run("unit", func(t *testing.T) {
		unit, err := os.ReadFile(filepath.Join(tree, "lib", "systemd", "system", "simphony-remote.service"))
		if err != nil {
			t.Fatal(err)
		}
		const execStart = "\nExecStart=/usr/bin/simphony-remote serve --config /etc/simphony-remote/simphony-remote.toml\n"
		if !strings.Contains(string(unit), execStart) {
			t.Fatalf("the unit does not run %q", strings.TrimSpace(execStart))
		}
		for _, want := range []string{"\nType=simple\n", "\nProtectSystem=strict\n", "\nReadWritePaths=/var/lib/simphony-remote\n",
			"\nNoNewPrivileges=yes\n", "\nPrivateTmp=yes\n", "\nProtectHome=yes\n", "\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n",
			"\nRestart=on-failure\n", "\nUMask=0007\n", "\nGroup=simphony-remote\n"} {
			if !strings.Contains(string(unit), want) {
				t.Errorf("the unit lacks %s", strings.TrimSpace(want))
			}
		}
		here := strings.Replace(string(unit), "\nExecStart=/usr/bin/", "\nExecStart="+filepath.Join(tree, "usr", "bin")+"/", 1)
		file := filepath.Join(t.TempDir(), "simphony-remote.service")
		if err := os.WriteFile(file, []byte(here), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("systemd-analyze", "verify", file)
		got, err := cmd.CombinedOutput()
		if err != nil || len(got) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, got)
		}
		// The check itself: a wrong key is reported.
		if err := os.WriteFile(file, []byte(here+"\n[Service]\nProtectSystm=strict\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got, _ := exec.Command("systemd-analyze", "verify", file).CombinedOutput(); !strings.Contains(string(got), "ProtectSystm") {
			t.Errorf("systemd-analyze verify passed a unit with a misspelt key:\n%s", got)
		}
	})
}

// The packaged binary serves, as root, within the unit's capability
// bounding set, with no new privileges and the unit's umask: what the unit
// confines it to is enough to start, and the admin socket is for the
// group. (systemd itself does not run here.)
func serviceStarts(t *testing.T, tree string) {
	if os.Geteuid() != 0 {
		msg := "the service's start within the unit's capabilities needs root"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED: " + msg)
	}
	need(t, "setpriv", "sh")
	unit, err := os.ReadFile(filepath.Join(tree, "lib", "systemd", "system", "simphony-remote.service"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^CapabilityBoundingSet=(.+)$`).FindSubmatch(unit)
	if m == nil {
		t.Fatal("the unit has no CapabilityBoundingSet")
	}
	caps := "-all"
	for _, c := range strings.Fields(string(m[1])) {
		caps += ",+" + strings.ToLower(strings.TrimPrefix(c, "CAP_"))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	data := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command("sh", "-c", `umask 0007 && exec setpriv --bounding-set "$0" --inh-caps -all --no-new-privs "$@"`, caps,
		filepath.Join(tree, "usr", "bin", "simphony-remote"), "serve",
		"--config", filepath.Join(tree, "etc", "simphony-remote", "simphony-remote.toml"), "--data", data, "--listen", addr)
	cmd.Dir = t.TempDir()
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := client.Get("https://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the packaged service within %s does not answer /healthz: %v\n%s", caps, err, log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	fi, err := os.Stat(filepath.Join(data, "admin.sock"))
	if err != nil || fi.Mode().Perm() != 0o660 {
		t.Errorf("the admin socket: %v, %v; want mode 0660", fi, err)
	}
}

// TestMissingBinary fails naming the missing binary and what writes it,
// and leaves no package behind.
func TestMissingBinary(t *testing.T) {
	out := filepath.Join(t.TempDir(), "dist")
	_, err := build(options{describe: "abc1234", out: out, bin: t.TempDir(), src: repoRoot(t), arch: "amd64"})
	if err == nil || !strings.Contains(err.Error(), "simphony-remote") || !strings.Contains(err.Error(), "make build") {
		t.Fatalf("build with no binaries: %v, want an error naming the binary and make build", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("made the output directory %s", out)
	}
}
