// Package installer holds the installer's shell scripts; these tests run
// them against stub commands.
package installer

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// aptNoise is what apt-get prints on a Debian or Ubuntu host besides its
// work: needrestart's report and kernel notices.
const aptNoise = "Pending kernel upgrade!\nRestarting services...\n"

// stubs makes a PATH of stub commands, as root, where apt-get prints
// aptNoise, records its arguments and the environment that matters to
// calls, and fails when fail is set; docker never answers and no dockerd
// is installed. The real tools the scripts need are linked in.
func stubs(t *testing.T, fail bool) (path, calls string) {
	t.Helper()
	dir := t.TempDir()
	calls = filepath.Join(dir, "calls")
	exit := "0"
	if fail {
		exit = "100"
	}
	scripts := map[string]string{
		"id":         "echo 0",
		"dpkg-query": "exit 1",
		"docker":     "exit 1",
		"apt-get":    `echo "$* DEBIAN_FRONTEND=$DEBIAN_FRONTEND NEEDRESTART_SUSPEND=$NEEDRESTART_SUSPEND NEEDRESTART_MODE=$NEEDRESTART_MODE" >>` + calls + "\nprintf '" + strings.ReplaceAll(aptNoise, "\n", `\n`) + "'\nexit " + exit,
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tool := range []string{"bash", "env", "grep", "mktemp", "sed", "rm", "cat"} {
		real, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("%s is needed: %v", tool, err)
		}
		if err := os.Symlink(real, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return dir, calls
}

func runScript(t *testing.T, path, script string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("./"+script, args...)
	cmd.Env = []string{"PATH=" + path, "TMPDIR=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestEnsureDebsQuiet(t *testing.T) {
	path, calls := stubs(t, false)
	out, err := runScript(t, path, "ensure-debs", "xterm", "foo")
	if err != nil {
		t.Fatalf("ensure-debs: %v\n%s", err, out)
	}
	if out != "ensure-debs: installing xterm foo with apt-get\n" {
		t.Errorf("ensure-debs printed %q, want one line", out)
	}
	got, _ := os.ReadFile(calls)
	const env = " DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 NEEDRESTART_MODE=l\n"
	if want := "-qq -o Dpkg::Use-Pty=0 update" + env + "-qq -o Dpkg::Use-Pty=0 install -y --no-install-recommends xterm foo" + env; string(got) != want {
		t.Errorf("apt-get calls:\n%s\nwant:\n%s", got, want)
	}
}

func TestAptFailureShowsItsOutput(t *testing.T) {
	for _, tc := range []struct{ script, wantErr string }{
		{"ensure-debs", "ensure-debs: error: apt-get update failed; its output:\n"},
		{"ensure-docker", "ensure-docker: error: apt-get update failed; its output:\n"},
	} {
		t.Run(tc.script, func(t *testing.T) {
			path, _ := stubs(t, true)
			out, err := runScript(t, path, tc.script, "xterm")
			if err == nil {
				t.Fatalf("%s succeeded although apt-get failed:\n%s", tc.script, out)
			}
			if !strings.Contains(out, tc.wantErr+"  Pending kernel upgrade!\n") {
				t.Errorf("%s printed:\n%s\nwant the error and apt-get's output after it", tc.script, out)
			}
		})
	}
}
