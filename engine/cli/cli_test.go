package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/volumes/volumestest"
)

// binary is the simphony-remote executable built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "simphony-remote-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "simphony-remote")
	build := exec.Command("go", "build", "-o", binary, "github.com/simphony/simphony-remote")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building simphony-remote:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// cli runs the binary in dir with a clean SIMPHONY_REMOTE_ environment.
type cli struct {
	t   *testing.T
	dir string
	env []string
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, dir: t.TempDir()}
}

func (c *cli) runIn(stdin string, args ...string) result {
	c.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = c.dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SIMPHONY_REMOTE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, c.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("running %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

func (c *cli) run(args ...string) result {
	c.t.Helper()
	return c.runIn("", args...)
}

// ok runs a command that must succeed and returns its standard output.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("%v: exit %d\nstderr: %s", args, r.code, r.stderr)
	}
	return r.stdout
}

// fails runs a command that must fail with code and an error message
// containing every want.
func (c *cli) fails(code int, wants []string, args ...string) {
	c.t.Helper()
	r := c.run(args...)
	if r.code != code {
		c.t.Fatalf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", args, r.code, code, r.stdout, r.stderr)
	}
	for _, w := range wants {
		if !strings.Contains(r.stderr, w) {
			c.t.Errorf("%v: stderr %q does not contain %q", args, r.stderr, w)
		}
	}
}

var mappingIDRE = regexp.MustCompile(`^[0-9a-f]{32}\n$`)

type listedUser struct {
	Name         string `json:"name"`
	Admin        bool   `json:"admin"`
	Applications *[]struct {
		MappingID string         `json:"mapping_id"`
		User      string         `json:"user"`
		Image     string         `json:"image"`
		Policy    map[string]any `json:"policy"`
	} `json:"applications"`
}

func (c *cli) users(db string) []listedUser {
	c.t.Helper()
	var users []listedUser
	out := c.ok("db", "--db", db, "user", "list", "--show-apps", "--json")
	if err := json.Unmarshal([]byte(out), &users); err != nil {
		c.t.Fatalf("user list --json: %v\n%s", err, out)
	}
	return users
}

// TestIssueExample runs the example of the README and the issue.
func TestIssueExample(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(c.dir, "x.db")
	c.ok("db", "--db", db, "init")
	c.ok("db", "--db", db, "user", "create", "alice")
	c.ok("db", "--db", db, "app", "create", "img", "--no-verify")
	// A volume needs an allowed root that only root can change.
	root := volumestest.Root(t)
	data := volumestest.Dir(t, root, "data")
	c.env = []string{"SIMPHONY_REMOTE_VOLUMES_ALLOWED_ROOTS=" + root}
	id := c.ok("db", "--db", db, "app", "grant", "img", "alice", "--allow-home", "--volume", data+":/data:ro")
	if !mappingIDRE.MatchString(id) {
		t.Fatalf("grant printed %q, want a mapping id", id)
	}
	users := c.users(db)
	if len(users) != 1 || users[0].Name != "alice" || users[0].Applications == nil || len(*users[0].Applications) != 1 {
		t.Fatalf("user list = %+v", users)
	}
	g := (*users[0].Applications)[0]
	want := map[string]any{"app_license": "", "allow_home": true, "allow_view": false, "volume_source": data,
		"volume_target": "/data", "volume_mode": "ro", "allow_startup_data": false}
	if g.MappingID+"\n" != id || g.Image != "img" || g.User != "alice" || fmt.Sprint(g.Policy) != fmt.Sprint(want) {
		t.Errorf("grant listed as %+v, want id %s and policy %v", g, id, want)
	}
	// Granting again is idempotent.
	if again := c.ok("db", "--db", db, "app", "grant", "img", "alice", "--allow-home", "--volume", data+"/:/data:ro"); again != id {
		t.Errorf("second grant printed %q, want %q", again, id)
	}
	table := c.ok("db", "--db", db, "user", "list", "--show-apps")
	for _, w := range []string{"MAPPING ID", strings.TrimSpace(id), data + ":/data:ro"} {
		if !strings.Contains(table, w) {
			t.Errorf("user list --show-apps table lacks %q:\n%s", w, table)
		}
	}
	if out := c.ok("db", "--db", db, "user", "list", "--json"); strings.Contains(out, "applications") {
		t.Errorf("user list --json without --show-apps lists applications: %s", out)
	}

	// The host's rules refuse, naming the component and the reason.
	loose := volumestest.Dir(t, root, "loose")
	if err := os.Chmod(loose, 0o775); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(data, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	for src, want := range map[string]string{
		loose:                       loose + " is writable by group",
		filepath.Join(root, "link"): filepath.Join(root, "link") + " is a symbolic link",
		"/etc":                      "/etc is not under an allowed root (" + root + ")",
	} {
		c.fails(1, []string{"granting img to alice", `invalid volume "` + src + `:/data:ro"`, want}, "db", "--db", db, "app", "grant", "img", "alice", "--volume", src+":/data:ro")
	}

	// Revoke the exact policy, then nothing is left.
	c.fails(1, []string{"no grant with that policy", "--revoke-all"}, "db", "--db", db, "app", "revoke", "img", "alice", "--allow-home")
	c.ok("db", "--db", db, "app", "revoke", "img", "alice", "--allow-home", "--volume", data+":/data:ro")
	if n := len(*c.users(db)[0].Applications); n != 0 {
		t.Errorf("%d grants after revoke", n)
	}
	c.ok("db", "--db", db, "app", "grant", "img", "alice")
	c.ok("db", "--db", db, "app", "grant", "img", "alice", "--allow-view", "--app-license", "LIC")
	if out := c.ok("db", "--db", db, "app", "revoke", "img", "alice", "--revoke-all"); !strings.Contains(out, "revoked 2 grant(s)") {
		t.Errorf("revoke-all printed %q", out)
	}
	c.ok("db", "--db", db, "app", "limits", "img", "--memory", "512m", "--cpus", "0.5")
	var apps []map[string]any
	if err := json.Unmarshal([]byte(c.ok("db", "--db", db, "app", "list", "--json")), &apps); err != nil {
		t.Fatal(err)
	}
	if len(apps) != 1 || apps[0]["image"] != "img" || fmt.Sprint(apps[0]["limits"]) != "map[cpus:0.5 memory_bytes:5.36870912e+08 pids:0]" {
		t.Errorf("app list --json = %v", apps)
	}
	if out := c.ok("db", "--db", db, "app", "list"); !strings.Contains(out, "memory 512MiB, cpus 0.5, pids default") {
		t.Errorf("app list = %q", out)
	}
	c.ok("db", "--db", db, "app", "remove", "img")
	c.ok("db", "--db", db, "user", "remove", "alice")
	if out := c.ok("db", "--db", db, "user", "list", "--json"); out != "[]\n" {
		t.Errorf("user list after removal = %q", out)
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(c.dir, "x.db")
	c.ok("db", "--db", db, "init")
	c.ok("db", "--db", db, "user", "create", "alice")
	c.fails(1, []string{"refusing to overwrite", db}, "db", "--db", db, "init")
	if users := c.users(db); len(users) != 1 {
		t.Errorf("users after a refused init: %+v", users)
	}
}

func TestDefaultLocationAndMissingDatabase(t *testing.T) {
	c := newCLI(t)
	// Without --db the database is ./data/simphony-remote.db.
	c.fails(1, []string{"no accounting database at data/simphony-remote.db", "simphony-remote db init"}, "db", "user", "list")
	if _, err := os.Stat(filepath.Join(c.dir, "data")); !os.IsNotExist(err) {
		t.Fatal("a failed command created the data directory")
	}
	if out := c.ok("db", "init"); !strings.Contains(out, "data/simphony-remote.db") {
		t.Errorf("init printed %q", out)
	}
	c.ok("db", "user", "create", "alice")
	// The configuration moves it.
	c.env = []string{"SIMPHONY_REMOTE_DATA_DIR=elsewhere"}
	c.fails(1, []string{"no accounting database at elsewhere/simphony-remote.db"}, "db", "user", "list")
}

func TestBadInputChangesNothing(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(c.dir, "x.db")
	c.ok("db", "--db", db, "init")
	c.ok("db", "--db", db, "user", "create", "alice")
	c.ok("db", "--db", db, "app", "create", "img", "--no-verify")
	c.ok("db", "--db", db, "app", "grant", "img", "alice")
	before := c.ok("db", "--db", db, "user", "list", "--show-apps", "--json") + c.ok("db", "--db", db, "app", "list", "--json")

	tests := []struct {
		code  int
		wants []string
		args  []string
	}{
		{1, []string{`invalid user name "bob/x"`, "path separator '/'", "user names are"}, []string{"user", "create", "bob/x"}},
		{1, []string{`invalid user name "Bob"`, "upper-case letter 'B'"}, []string{"user", "create", "Bob"}},
		{1, []string{`invalid user name ""`, "it is empty"}, []string{"user", "create", ""}},
		{1, []string{`invalid user name "` + strings.Repeat("a", 65) + `"`, "the limit is 64"}, []string{"user", "create", strings.Repeat("a", 65)}},
		{1, []string{"creating user alice: user already exists"}, []string{"user", "create", "alice"}},
		{1, []string{"removing user nobody: user not found"}, []string{"user", "remove", "nobody"}},
		{1, []string{`invalid image name "Not/An Image"`, "not a Docker image reference"}, []string{"app", "create", "Not/An Image", "--no-verify"}},
		{1, []string{"creating application img: application already exists"}, []string{"app", "create", "img", "--no-verify"}},
		{1, []string{"removing application nope: application not found"}, []string{"app", "remove", "nope"}},
		{1, []string{"granting img to alice", `invalid volume "/etc:/etc:ro"`, "no volume may be mounted: no allowed roots are configured ([volumes] allowed_roots)"}, []string{"app", "grant", "img", "alice", "--volume", "/etc:/etc:ro"}},
		{1, []string{`invalid volume "/var/run/docker.sock:/d.sock:rw"`, "no allowed roots are configured"}, []string{"app", "grant", "img", "alice", "--volume", "/var/run/docker.sock:/d.sock:rw"}},
		{2, []string{"--volume", `invalid volume "/data:/proc:ro"`, "target /proc is a kernel file system"}, []string{"app", "grant", "img", "alice", "--volume", "/data:/proc:ro"}},
		{2, []string{"--volume", "target /sys/fs is inside /sys"}, []string{"app", "grant", "img", "alice", "--volume", "/data:/sys/fs:rw"}},
		{2, []string{"--volume", "target /dev is a kernel file system"}, []string{"app", "grant", "img", "alice", "--volume", "/data:/dev:rw"}},
		{2, []string{`invalid volume "/data:/data"`, "SOURCE:TARGET:MODE"}, []string{"app", "grant", "img", "alice", "--volume", "/data:/data"}},
		{2, []string{`invalid volume "/data/../etc:/x:ro"`, "'..' component"}, []string{"app", "grant", "img", "alice", "--volume", "/data/../etc:/x:ro"}},
		{2, []string{`mode "rx" must be ro or rw`}, []string{"app", "grant", "img", "alice", "--volume", "/data:/data:rx"}},
		{1, []string{"target /workspace is where the home"}, []string{"app", "grant", "img", "alice", "--allow-home", "--volume", "/data:/workspace:rw"}},
		{1, []string{"granting img to nobody", "user nobody: not found"}, []string{"app", "grant", "img", "nobody"}},
		{1, []string{"granting nope to alice", "application nope: not found"}, []string{"app", "grant", "nope", "alice"}},
		{2, []string{"--revoke-all", "cannot be combined with --allow-home"}, []string{"app", "revoke", "img", "alice", "--revoke-all", "--allow-home"}},
		{2, []string{"expects IMAGE USER, got 1 argument(s)", "simphony-remote db app grant --help"}, []string{"app", "grant", "img"}},
		{2, []string{"unknown flag: --allow-everything"}, []string{"app", "grant", "img", "alice", "--allow-everything"}},
		{2, []string{"if any flags in the group [verify no-verify] are set none of the others can be"}, []string{"app", "create", "x", "--verify", "--no-verify"}},
		{2, []string{`--memory "lots": want a size`}, []string{"app", "limits", "img", "--memory", "lots"}},
		{1, []string{"invalid limits", "memory must be 0 (the default) or at least 6MiB"}, []string{"app", "create", "new", "--no-verify", "--memory", "1k"}},
		{1, []string{"cpus must be from 0"}, []string{"app", "limits", "img", "--cpus", "-2"}},
		{1, []string{"application nope: not found"}, []string{"app", "limits", "nope", "--pids", "5"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			c.t = t
			c.fails(tt.code, tt.wants, append([]string{"db", "--db", db}, tt.args...)...)
		})
	}
	c.t = t
	after := c.ok("db", "--db", db, "user", "list", "--show-apps", "--json") + c.ok("db", "--db", db, "app", "list", "--json")
	if before != after {
		t.Errorf("bad input changed the database:\nbefore %s\nafter  %s", before, after)
	}
}

func TestPasswordStdin(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(c.dir, "x.db")
	c.ok("db", "--db", db, "init")

	if r := c.runIn("short\n", "db", "--db", db, "user", "create", "bob", "--password-stdin"); r.code != 1 || !strings.Contains(r.stderr, "use at least 8") {
		t.Errorf("short password: exit %d, %s", r.code, r.stderr)
	}
	if r := c.runIn("", "db", "--db", db, "user", "create", "bob", "--password-stdin"); r.code != 1 || !strings.Contains(r.stderr, "standard input is empty") {
		t.Errorf("empty stdin: exit %d, %s", r.code, r.stderr)
	}
	if users := c.users(db); len(users) != 0 {
		t.Fatalf("a refused password created a user: %+v", users)
	}
	r := c.runIn("correct horse battery\n", "db", "--db", db, "user", "create", "bob", "--admin", "--password-stdin")
	if r.code != 0 || r.stdout != "created admin user bob\n" {
		t.Fatalf("create with password: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "correct horse") {
		t.Error("the password was echoed")
	}
	users := c.users(db)
	if len(users) != 1 || !users[0].Admin {
		t.Fatalf("users = %+v", users)
	}
	s, err := boltdb.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.User(t.Context(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.VerifyPassword(u.PasswordHash, "correct horse battery"); err != nil {
		t.Errorf("stored hash does not verify the password: %v (hash %q)", err, u.PasswordHash)
	}
	if err := auth.VerifyPassword(u.PasswordHash, "correct horse battery\n"); err == nil {
		t.Error("the trailing newline became part of the password")
	}
}

func TestDatabaseInUse(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(c.dir, "x.db")
	c.ok("db", "--db", db, "init")
	s, err := boltdb.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c.fails(1, []string{"in use by another process", "no appliance answers on admin.sock next to it"}, "db", "--db", db, "user", "list")
}

func TestCSVBackend(t *testing.T) {
	c := newCLI(t)
	csv := filepath.Join(c.dir, "accounting.csv")
	content := "user.name, application.image, policy.app_license, policy.allow_home, policy.allow_view, policy.allow_common, policy.volume_source, policy.volume_target, policy.volume_mode, policy.allow_startup_data\n" +
		"alice, simphony/desktop, , 1, 0, 1, /srv/data, /data, ro, 0\n" +
		"bob, simphony/desktop, LIC, 0, 1, 0, , , , 1\n"
	if err := os.WriteFile(csv, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	first := c.users(csv)
	second := c.users(csv)
	if len(first) != 2 || len(*first[0].Applications) != 1 {
		t.Fatalf("CSV users = %+v", first)
	}
	id1, id2 := (*first[0].Applications)[0].MappingID, (*second[0].Applications)[0].MappingID
	if id1 != id2 {
		t.Errorf("CSV mapping ids changed between runs: %s, %s", id1, id2)
	}
	if p := (*first[0].Applications)[0].Policy; p["volume_source"] != "/srv/data" || p["allow_home"] != true {
		t.Errorf("alice's policy = %v", p)
	}
	c.fails(1, []string{"read-only backend", "accounting.csv is a CSV file"}, "db", "--db", csv, "user", "create", "carol")
	c.fails(1, []string{"read-only backend"}, "db", "--db", csv, "app", "grant", "simphony/desktop", "alice")
	c.fails(1, []string{"CSV backend is read-only"}, "db", "--db", csv, "init")
	c.fails(1, []string{"is a CSV file: copy the file itself"}, "db", "--db", csv, "backup", filepath.Join(c.dir, "b.csv"))
	after, _ := os.ReadFile(csv)
	if string(after) != content {
		t.Error("a command changed the CSV file")
	}

	bad := filepath.Join(c.dir, "bad.csv")
	_ = os.WriteFile(bad, []byte("user.name,application.image,policy.allow_home\nalice,img,yes\n"), 0o644)
	c.fails(1, []string{"bad.csv line 2: column policy.allow_home: value \"yes\" is not 1 or 0"}, "db", "--db", bad, "user", "list")

	// The configuration can select the CSV backend too.
	c.env = []string{"SIMPHONY_REMOTE_ACCOUNTING_BACKEND=csv", "SIMPHONY_REMOTE_ACCOUNTING_PATH=" + csv}
	if out := c.ok("db", "user", "list"); !strings.Contains(out, "alice") || !strings.Contains(out, "bob") {
		t.Errorf("user list through the configuration = %q", out)
	}
}

func TestBackup(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(c.dir, "x.db")
	c.ok("db", "--db", db, "init")
	c.ok("db", "--db", db, "user", "create", "alice")
	c.ok("db", "--db", db, "app", "create", "img", "--no-verify")
	id := c.ok("db", "--db", db, "app", "grant", "img", "alice", "--allow-view")
	backup := filepath.Join(c.dir, "backup.db")
	c.ok("db", "--db", db, "backup", backup)
	users := c.users(backup)
	if len(users) != 1 || (*users[0].Applications)[0].MappingID+"\n" != id {
		t.Errorf("backup holds %+v", users)
	}
	c.fails(1, []string{"backing up to " + backup, "already exists"}, "db", "--db", db, "backup", backup)
}

func TestAppCreateVerify(t *testing.T) {
	dc := dockertest.Require(t)
	dockertest.ImportEmptyImage(t, dc, "simphony-remote-test/cli-verify:1")
	c := newCLI(t)
	db := filepath.Join(c.dir, "x.db")
	c.ok("db", "--db", db, "init")

	c.ok("db", "--db", db, "app", "create", "simphony-remote-test/cli-verify:1")
	c.fails(1, []string{"has no image simphony-remote-test/cli-absent:1", "--no-verify"}, "db", "--db", db, "app", "create", "simphony-remote-test/cli-absent:1")
	c.ok("db", "--db", db, "app", "create", "simphony-remote-test/cli-absent:1", "--verify=false")

	c.env = []string{"SIMPHONY_REMOTE_DOCKER_HOST=unix:///nonexistent/docker.sock", "SIMPHONY_REMOTE_DOCKER_NETWORK_TIMEOUT=3s"}
	c.fails(1, []string{"cannot check image other:1", "unreachable at unix:///nonexistent/docker.sock", "--no-verify"}, "db", "--db", db, "app", "create", "other:1")
	out := c.ok("db", "--db", db, "app", "list")
	if strings.Contains(out, "other:1") || !strings.Contains(out, "cli-verify:1") || !strings.Contains(out, "cli-absent:1") {
		t.Errorf("app list = %q", out)
	}
}

func TestServePrintConfig(t *testing.T) {
	c := newCLI(t)
	out := c.ok("serve", "--print-config")
	for _, w := range []string{`data_dir = "./data"`, `listen = "localhost:8443"`, `network_timeout = "30s"`, `backend = "bbolt"`} {
		if !strings.Contains(out, w) {
			t.Errorf("default configuration lacks %q:\n%s", w, out)
		}
	}
	file := filepath.Join(c.dir, "my.toml")
	_ = os.WriteFile(file, []byte("realm = \"lab\"\nlisten = \"0.0.0.0:443\"\n[docker]\nnetwork_timeout = \"1m\"\n"), 0o644)
	c.env = []string{"SIMPHONY_REMOTE_LOG_LEVEL=debug"}
	out = c.ok("serve", "--config", file, "--listen", "127.0.0.1:9443", "--data", "/srv/sr", "--print-config")
	for _, w := range []string{`realm = "lab"`, `listen = "127.0.0.1:9443"`, `data_dir = "/srv/sr"`, `level = "debug"`, `network_timeout = "1m0s"`} {
		if !strings.Contains(out, w) {
			t.Errorf("effective configuration lacks %q:\n%s", w, out)
		}
	}
	// The configuration file may also come from the environment.
	c.env = []string{"SIMPHONY_REMOTE_CONFIG=" + file}
	if out := c.ok("serve", "--print-config"); !strings.Contains(out, `realm = "lab"`) {
		t.Errorf("SIMPHONY_REMOTE_CONFIG ignored:\n%s", out)
	}
	c.env = nil

	bad := filepath.Join(c.dir, "bad.toml")
	_ = os.WriteFile(bad, []byte("[docker]\nnetwork_timout = \"1m\"\n"), 0o644)
	c.fails(1, []string{"configuration key docker.network_timout", bad, "unknown key"}, "serve", "--config", bad, "--print-config")
	c.fails(1, []string{"configuration key listen (flag --listen)", "want HOST:PORT"}, "serve", "--listen", "nowhere", "--print-config")
	c.fails(1, []string{"configuration (" + filepath.Join(c.dir, "none.toml") + "): cannot read the file"}, "db", "--config", filepath.Join(c.dir, "none.toml"), "user", "list")
}

func TestVersionHelpCompletion(t *testing.T) {
	c := newCLI(t)
	if out := c.ok("version"); !strings.Contains(out, "simphony-remote ") || !strings.Contains(out, "go:     go1.") {
		t.Errorf("version = %q", out)
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(c.ok("version", "--json")), &v); err != nil || !strings.HasPrefix(v["go"], "go1.") {
		t.Errorf("version --json = %v, %v", v, err)
	}
	help := c.ok("--help")
	for _, w := range []string{"serve", "db", "app", "console", "image", "version", "completion"} {
		if !strings.Contains(help, "  "+w+" ") {
			t.Errorf("--help does not list %s:\n%s", w, help)
		}
	}
	for _, args := range [][]string{
		{"db", "--help"}, {"db", "user", "create", "--help"}, {"db", "app", "grant", "--help"},
		{"db", "app", "revoke", "--help"}, {"db", "backup", "--help"}, {"serve", "--help"},
	} {
		if out := c.ok(args...); !strings.Contains(out, "Usage:") {
			t.Errorf("%v has no usage:\n%s", args, out)
		}
	}
	if out := c.ok("completion", "bash"); !strings.Contains(out, "bash completion") {
		t.Errorf("completion bash printed %.200q", out)
	}
	// The server build has no console, and says how to get it.
	c.fails(1, []string{"Error: this build of simphony-remote has no desktop console: build it with make desktop"}, "console")
	c.fails(1, []string{"bin/simphony-remote-console console"}, "console", "--data", "x")
	c.fails(2, []string{"expects no arguments, got 1"}, "console", "now")
	c.fails(2, []string{`MAPPING_ID "x": want 32 hexadecimal digits`}, "app", "start", "x")
	c.fails(2, []string{`unknown command "frobnicate"`}, "frobnicate")
}
