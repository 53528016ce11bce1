package cli_test

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestOriginalSpellings: the flags as simphony-remote's remoteappdb spelt
// them work, hidden from help, and --no-decoration prints bare names.
func TestOriginalSpellings(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(c.dir, "x.db")
	c.ok("db", "--db", db, "init")
	c.ok("db", "--db", db, "user", "create", "bob")
	c.ok("db", "--db", db, "user", "create", "alice")
	c.ok("db", "--db", db, "app", "create", "img", "--no_verify")
	c.ok("db", "--db", db, "app", "create", "lab/tool:2", "--no_verify")
	id := c.ok("db", "--db", db, "app", "grant", "img", "alice", "--allow_home", "--allow_view", "--allow_startup_data", "--app_license", "LIC")
	if !mappingIDRE.MatchString(id) {
		t.Fatalf("grant printed %q", id)
	}
	users := c.users(db)
	g := (*users[0].Applications)[0]
	want := map[string]any{"app_license": "LIC", "allow_home": true, "allow_view": true, "volume_source": "",
		"volume_target": "", "volume_mode": "", "allow_startup_data": true}
	if users[0].Name != "alice" || g.MappingID+"\n" != id || !equalJSON(g.Policy, want) {
		t.Errorf("the grant: %+v, policy %v; want %v", users[0], g.Policy, want)
	}
	if out := c.ok("db", "--db", db, "app", "revoke", "img", "alice", "--revoke_all"); !strings.Contains(out, "revoked 1 grant(s)") {
		t.Errorf("revoke --revoke_all printed %q", out)
	}
	for _, cmd := range [][]string{{"app", "grant"}, {"app", "revoke"}, {"app", "create"}} {
		help := c.ok(append(append([]string{"db"}, cmd...), "--help")...)
		if flagUnderscore.MatchString(help) {
			t.Errorf("db %s --help shows an underscore spelling:\n%s", strings.Join(cmd, " "), help)
		}
	}

	if out := c.ok("db", "--db", db, "user", "list", "--no-decoration"); out != "alice\nbob\n" {
		t.Errorf("user list --no-decoration = %q, want the names alone", out)
	}
	c.ok("db", "--db", db, "app", "grant", "lab/tool:2", "bob")
	if out := c.ok("db", "--db", db, "user", "list", "--no-decoration", "--show-apps"); !strings.HasPrefix(out, "alice\nbob\t") || !strings.HasSuffix(out, "\tlab/tool:2\n") {
		t.Errorf("user list --no-decoration --show-apps = %q", out)
	}
	if out := c.ok("db", "--db", db, "app", "list", "--no-decoration"); out != "img\nlab/tool:2\n" {
		t.Errorf("app list --no-decoration = %q, want the images alone", out)
	}
	c.fails(2, []string{"none of the others can be"}, "db", "--db", db, "app", "list", "--no-decoration", "--json")
}

var flagUnderscore = regexp.MustCompile(`--[a-z]+_`)

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// TestPositionalDatabase: remoteappdb took the database as its first
// argument; "db PATH COMMAND" is "db --db PATH COMMAND".
func TestPositionalDatabase(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(c.dir, "remote.db")
	if out := c.ok("db", db, "init"); !strings.Contains(out, "created accounting database "+db) {
		t.Errorf("db PATH init printed %q", out)
	}
	c.ok("db", db, "user", "create", "alice")
	c.ok("db", db, "app", "create", "img", "--no-verify")
	c.ok("db", db, "app", "grant", "img", "alice", "--allow-home")
	c.ok("--config", "", "db", db, "app", "grant", "img", "alice", "--allow-view")
	if out := c.ok("db", "--db", db, "user", "list", "--no-decoration"); out != "alice\n" {
		t.Errorf("user list = %q", out)
	}
	if out := c.ok("db", "relative.db", "init"); !strings.Contains(out, "relative.db") {
		t.Errorf("a relative path: %q", out)
	}
	if n := len(*c.users(db)[0].Applications); n != 2 {
		t.Errorf("alice has %d grants, want 2", n)
	}
}

// TestUnknownCommandsFail: an unknown subcommand or a stray argument, in
// every command group, exits 2 with a message, never the help with 0.
func TestUnknownCommandsFail(t *testing.T) {
	c := newCLI(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"foo"}, `unknown command "foo" for "simphony-remote"`},
		{[]string{"db", "foo"}, `unknown command "foo" for "simphony-remote db"`},
		{[]string{"db", "x.db"}, `unknown command "x.db" for "simphony-remote db"`},
		{[]string{"db", "usr", "list"}, `unknown command "usr" for "simphony-remote db"; did you mean user?`},
		{[]string{"db", "user", "foo"}, `unknown command "foo" for "simphony-remote db user"`},
		{[]string{"db", "app", "foo", "bar"}, `unknown command "foo" for "simphony-remote db app"`},
		{[]string{"app", "foo"}, `unknown command "foo" for "simphony-remote app"`},
		{[]string{"image", "foo"}, `unknown command "foo" for "simphony-remote image"`},
		{[]string{"completion", "foo"}, `unknown command "foo" for "simphony-remote completion"`},
		{[]string{"db", "help", "foo"}, `unknown command "help" for "simphony-remote db"`},
		{[]string{"db", "user", "list", "stray"}, "expects no arguments, got 1"},
		{[]string{"db", "app", "list", "stray"}, "expects no arguments, got 1"},
		{[]string{"db", "init", "stray"}, "expects no arguments, got 1"},
		{[]string{"version", "stray"}, "expects no arguments, got 1"},
	} {
		r := c.run(tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tt.args, r.code, r.stdout, r.stderr, tt.want)
		}
	}
	// A group without arguments still shows its help.
	for _, g := range [][]string{{"db"}, {"db", "user"}, {"app"}, {"image"}, {"db", "help"}, {"db", "app", "help"}} {
		if out := c.ok(g...); !strings.Contains(out, "Available Commands:") {
			t.Errorf("%v printed %q", g, out)
		}
	}
}

// TestImageSpellingsAndPartialLimits: the README's example, with the image
// spelt several ways, and limits changed one at a time.
func TestImageSpellingsAndPartialLimits(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(c.dir, "x.db")
	c.ok("db", "--db", db, "init")
	c.ok("db", "--db", db, "user", "create", "alice")
	c.ok("db", "--db", db, "app", "create", "simphony-remote/desktop", "--no-verify")
	for _, dup := range []string{"simphony-remote/desktop:latest", "docker.io/simphony-remote/desktop"} {
		c.fails(1, []string{"creating application " + dup + ": application already exists as simphony-remote/desktop"},
			"db", "--db", db, "app", "create", dup, "--no-verify")
	}
	id := c.ok("db", "--db", db, "app", "grant", "simphony-remote/desktop:latest", "alice", "--allow-home")
	if again := c.ok("db", "--db", db, "app", "grant", "docker.io/simphony-remote/desktop", "alice", "--allow-home"); again != id {
		t.Errorf("granting under another spelling printed %q, want the same grant %q", again, id)
	}
	if g := (*c.users(db)[0].Applications)[0]; g.Image != "simphony-remote/desktop" {
		t.Errorf("the grant names %q", g.Image)
	}

	limits := func() string {
		t.Helper()
		var apps []map[string]any
		if err := json.Unmarshal([]byte(c.ok("db", "--db", db, "app", "list", "--json")), &apps); err != nil || len(apps) != 1 {
			t.Fatalf("app list --json: %v, %v", apps, err)
		}
		b, _ := json.Marshal(apps[0]["limits"])
		return string(b)
	}
	c.ok("db", "--db", db, "app", "limits", "simphony-remote/desktop", "--memory", "2GiB", "--cpus", "2", "--pids", "100")
	if out := c.ok("db", "--db", db, "app", "limits", "simphony-remote/desktop:latest", "--memory", "1GiB"); out != "the limits of simphony-remote/desktop are now: memory 1GiB, cpus 2, pids 100\n" {
		t.Errorf("limits --memory printed %q", out)
	}
	if got, want := limits(), `{"cpus":2,"memory_bytes":1073741824,"pids":100}`; got != want {
		t.Errorf("after --memory alone: %s, want %s", got, want)
	}
	c.ok("db", "--db", db, "app", "limits", "docker.io/simphony-remote/desktop", "--pids", "0")
	if got, want := limits(), `{"cpus":2,"memory_bytes":1073741824,"pids":0}`; got != want {
		t.Errorf("after --pids 0: %s, want %s", got, want)
	}
	c.fails(2, []string{"name the limits to change"}, "db", "--db", db, "app", "limits", "simphony-remote/desktop")

	if out := c.ok("db", "--db", db, "app", "revoke", "docker.io/simphony-remote/desktop:latest", "alice", "--revoke-all"); !strings.Contains(out, "revoked 1 grant(s)") {
		t.Errorf("revoke under another spelling printed %q", out)
	}
	c.ok("db", "--db", db, "app", "remove", "simphony-remote/desktop:latest")
	if out := c.ok("db", "--db", db, "app", "list", "--no-decoration"); out != "" {
		t.Errorf("after remove: %q", out)
	}
}
