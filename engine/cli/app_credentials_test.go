package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAppCredentialsFile: --credentials-file keeps one sign-in per file,
// so that one account can use several appliances; every app command takes
// it to choose which.
func TestAppCredentialsFile(t *testing.T) {
	lab, other := newFakeAppliance(t), newFakeAppliance(t)
	c, conf := newAppCLI(t)
	labFile := filepath.Join(c.dir, "lab.json")
	otherFile := filepath.Join(c.dir, "creds", "other.json")
	if err := os.Chmod(c.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if r := c.login(lab, "--credentials-file", labFile); !strings.Contains(r.stdout, "stored in "+labFile) {
		t.Errorf("login printed %q", r.stdout)
	}
	c.login(other, "--credentials-file", otherFile)
	for _, f := range []string{labFile, otherFile} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want mode 0600", f, fi, err)
		}
	}
	if di, _ := os.Stat(c.dir); di.Mode().Perm() != 0o755 {
		t.Errorf("the chosen file's directory became mode %04o; it is not ours to change", di.Mode().Perm())
	}
	if _, err := os.Stat(conf); !os.IsNotExist(err) {
		t.Errorf("the default client.json was written: %v", err)
	}
	// Each file reaches its own appliance, with its own token: signing in
	// to the second did not revoke the first.
	if _, tokens := lab.state(); tokens != 1 {
		t.Errorf("the first appliance has %d tokens, want 1", tokens)
	}
	for _, tt := range []struct {
		file string
		f    *fakeAppliance
	}{{labFile, lab}, {otherFile, other}} {
		token, _ := storedConfig(t, tt.file)["token"].(string)
		want := tt.f.apiJSON(t, token, "/api/v1/applications")
		if got := c.ok("app", "available", "--json", "--credentials-file", tt.file); got != want {
			t.Errorf("available with %s = %q, want %q", tt.file, got, want)
		}
	}
	// Without the flag: the default file, which does not exist.
	c.failsExactly(1, "not logged in: run simphony-remote app login URL first", "app", "available")
	missing := filepath.Join(c.dir, "none.json")
	c.fails(1, []string{"no sign-in in " + missing, "--credentials-file " + missing}, "app", "running", "--credentials-file", missing)

	// Logging out of one leaves the other.
	if out := c.ok("app", "logout", "--credentials-file", labFile); !strings.Contains(out, "removed "+labFile) {
		t.Errorf("logout printed %q", out)
	}
	if _, tokens := lab.state(); tokens != 0 {
		t.Errorf("the first appliance still has %d tokens", tokens)
	}
	if _, err := os.Stat(otherFile); err != nil {
		t.Errorf("the other sign-in is gone: %v", err)
	}
	c.ok("app", "running", "--credentials-file", otherFile)
}
