package cli_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestAppRunAsRoot: the run-as-root mark, set at creation and changed
// alone, shows in app list --json; bad input is refused.
func TestAppRunAsRoot(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(c.dir, "x.db")
	c.ok("db", "--db", db, "init")
	c.ok("db", "--db", db, "app", "create", "legacy:1", "--no-verify", "--run-as-root")
	c.ok("db", "--db", db, "app", "create", "modern:1", "--no-verify")
	if out := c.ok("db", "--db", db, "app", "list", "--json"); !strings.Contains(out, `"image": "legacy:1",`) ||
		strings.Count(out, `"run_as_root": true`) != 1 || strings.Count(out, `"run_as_root": false`) != 1 {
		t.Errorf("app list --json:\n%s", out)
	}
	if out := c.ok("db", "--db", db, "app", "run-as-root", "modern:1", "on"); out != "modern:1: its sessions run as the image's own user (root)\n" {
		t.Errorf("run-as-root on printed %q", out)
	}
	if out := c.ok("db", "--db", db, "app", "run-as-root", "legacy:1", "off"); out != "legacy:1: its sessions run as their owner's own uid\n" {
		t.Errorf("run-as-root off printed %q", out)
	}
	if out := c.ok("db", "--db", db, "app", "list", "--json"); strings.Count(out, `"run_as_root": true`) != 1 {
		t.Errorf("after the changes, app list --json:\n%s", out)
	}
	c.fails(2, []string{`"yes": want on or off`}, "db", "--db", db, "app", "run-as-root", "modern:1", "yes")
	c.fails(1, []string{"nope", "not found"}, "db", "--db", db, "app", "run-as-root", "nope", "on")
}
