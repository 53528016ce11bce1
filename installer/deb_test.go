package installer

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// maintainer runs the maintainer script installer/deb/NAME with args, on
// stub commands that record their arguments, and returns its output and
// the calls. systemd runs when systemd is set: the script's
// /run/systemd/system is then a directory that exists (the script is run
// from a copy naming it); withSystemctl puts a systemctl stub on PATH.
func maintainer(t *testing.T, name string, systemd, withSystemctl bool, args ...string) (out, calls, conf string) {
	t.Helper()
	dir := t.TempDir()
	callsFile := filepath.Join(dir, "calls")
	record := "#!/bin/sh\necho \"$(basename \"$0\") $*\" >>" + callsFile + "\n"
	stubs := []string{"adduser", "deluser", "delgroup", "chgrp", "chmod", "chown", "mkdir", "rm"}
	if withSystemctl {
		stubs = append(stubs, "systemctl")
	}
	for _, s := range stubs {
		if err := os.WriteFile(filepath.Join(dir, s), []byte(record), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// getent knows the docker group and the simphony-remote user and group.
	getent := record + "case \"$2\" in docker|simphony-remote) exit 0;; esac\nexit 2\n"
	if err := os.WriteFile(filepath.Join(dir, "getent"), []byte(getent), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"sh", "basename"} {
		real, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("%s is needed: %v", tool, err)
		}
		if err := os.Symlink(real, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	script, err := os.ReadFile(filepath.Join("deb", name))
	if err != nil {
		t.Fatal(err)
	}
	running := filepath.Join(dir, "no-systemd")
	if systemd {
		running = dir
	}
	copied := filepath.Join(dir, name)
	if !strings.Contains(string(script), "/run/systemd/system") {
		t.Fatalf("%s does not check /run/systemd/system", name)
	}
	// The configuration file postinst gives to the group is there.
	conf = filepath.Join(dir, "simphony-remote.toml")
	if err := os.WriteFile(conf, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(script), "/run/systemd/system", running)
	text = strings.Replace(text, "\nconf=/etc/simphony-remote/simphony-remote.toml\n", "\nconf="+conf+"\n", 1)
	if err := os.WriteFile(copied, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(copied, args...)
	cmd.Env = []string{"PATH=" + dir}
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
	}
	c, _ := os.ReadFile(callsFile)
	return string(b), string(c), conf
}

// without drops the calls that start with prefix.
func without(calls, prefix string) string {
	var keep []string
	for _, l := range strings.SplitAfter(calls, "\n") {
		if l != "" && !strings.HasPrefix(l, prefix) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

func TestMaintainerScripts(t *testing.T) {
	if _, err := os.Stat("/var/lib/simphony-remote"); err == nil {
		msg := "/var/lib/simphony-remote exists here (the package is installed?), so postinst would not make it"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED: " + msg)
	}
	const user = "adduser --system --group --quiet --home /var/lib/simphony-remote --no-create-home simphony-remote\n" +
		"mkdir -p /var/lib/simphony-remote\n" +
		"chown simphony-remote:simphony-remote /var/lib/simphony-remote\n" +
		"chmod 0750 /var/lib/simphony-remote\n" +
		"chgrp simphony-remote CONF\n" +
		"chmod 0640 CONF\n" +
		"adduser --quiet simphony-remote docker\n"
	for _, tc := range []struct {
		name                  string
		script                string
		args                  []string
		systemd, systemctl    bool
		wantCalls, wantOutput string
	}{
		{"first install", "postinst", []string{"configure", ""}, true, true,
			user + "systemctl daemon-reload\nsystemctl enable --quiet simphony-remote.service\nsystemctl start simphony-remote.service\n", ""},
		{"first install, no version", "postinst", []string{"configure"}, true, true,
			user + "systemctl daemon-reload\nsystemctl enable --quiet simphony-remote.service\nsystemctl start simphony-remote.service\n", ""},
		{"upgrade restarts once", "postinst", []string{"configure", "0.0~git1.abc"}, true, true,
			user + "systemctl daemon-reload\nsystemctl enable --quiet simphony-remote.service\nsystemctl restart simphony-remote.service\n", ""},
		{"chroot", "postinst", []string{"configure", ""}, false, true,
			user + "systemctl enable --quiet simphony-remote.service\n",
			"simphony-remote: systemd is not running here (a chroot or a container?): simphony-remote.service is enabled, not started\n"},
		{"no systemd at all", "postinst", []string{"configure", ""}, false, false, user,
			"simphony-remote: no systemd here: simphony-remote.service is neither enabled nor started; run /usr/bin/simphony-remote serve --config /etc/simphony-remote/simphony-remote.toml\n"},
		{"remove stops", "prerm", []string{"remove"}, true, true, "systemctl disable --now --quiet simphony-remote.service\n", ""},
		{"remove in a chroot", "prerm", []string{"remove"}, false, true, "systemctl disable --quiet simphony-remote.service\n", ""},
		{"upgrade keeps it running", "prerm", []string{"upgrade", "0.0~git2.def"}, true, true, "", ""},
		{"remove keeps data", "postrm", []string{"remove"}, true, true, "systemctl daemon-reload\n",
			"simphony-remote: the data in /var/lib/simphony-remote is kept; apt purge simphony-remote deletes it\n"},
		{"purge deletes data and user", "postrm", []string{"purge"}, false, true,
			"rm -rf /var/lib/simphony-remote\ndeluser --system --quiet simphony-remote\ndelgroup --system --quiet --only-if-empty simphony-remote\n", ""},
		{"upgrade keeps data", "postrm", []string{"upgrade", "0.0~git2.def"}, false, true, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, calls, conf := maintainer(t, tc.script, tc.systemd, tc.systemctl, tc.args...)
			if got, want := without(calls, "getent "), strings.ReplaceAll(tc.wantCalls, "CONF", conf); got != want {
				t.Errorf("%s %v called:\n%s\nwant:\n%s", tc.script, tc.args, got, want)
			}
			if out != tc.wantOutput {
				t.Errorf("%s %v printed %q, want %q", tc.script, tc.args, out, tc.wantOutput)
			}
		})
	}
}

// TestShellcheck runs shellcheck on every shell script in the repository:
// the files whose first line runs a shell, and *.sh.
func TestShellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		msg := "shellcheck is needed (make testdeps installs it)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED: " + msg)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	var scripts []string
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "bin", "dist", "data":
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if strings.HasSuffix(path, ".sh") || isShellScript(path) {
			scripts = append(scripts, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"installer/ensure-debs", "installer/ensure-docker", "installer/deb/postinst", "installer/deb/prerm", "installer/deb/postrm", ".ci/run"} {
		found := false
		for _, s := range scripts {
			found = found || s == filepath.Join(root, want)
		}
		if !found {
			t.Errorf("%s was not found as a shell script", want)
		}
	}
	out, err := exec.Command("shellcheck", append([]string{"--norc", "--external-sources"}, scripts...)...).CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck on %d scripts: %v\n%s", len(scripts), err, out)
	}
}

// isShellScript reports whether the file's first line runs sh or bash.
func isShellScript(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 64)
	n, _ := f.Read(head)
	line, _, _ := strings.Cut(string(head[:n]), "\n")
	if !strings.HasPrefix(line, "#!") {
		return false
	}
	for _, sh := range []string{"/sh", "/bash", "env sh", "env bash"} {
		if strings.HasSuffix(line, sh) || strings.Contains(line, sh+" ") {
			return true
		}
	}
	return false
}
