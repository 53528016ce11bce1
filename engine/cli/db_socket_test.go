package cli_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/volumes"
	"github.com/simphony/simphony-remote/engine/volumes/volumestest"
)

// noImages is a Docker Engine without images.
type noImages struct{}

func (noImages) ImageExists(_ context.Context, image string) error {
	return fmt.Errorf("looking up image %s: %w", image, docker.ErrNotFound)
}

// signOuts records the users the appliance signed out.
type signOuts struct {
	mu    sync.Mutex
	users []string
}

func (s *signOuts) RevokeUser(_ context.Context, user string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = append(s.users, user)
	return 0, nil
}

func (s *signOuts) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users
	s.users = nil
	return u
}

// appliance stands in for `serve`: it holds the bbolt file of a data dir
// and serves the admin API on DATA_DIR/admin.sock.
type appliance struct {
	store    *boltdb.Store
	signOuts *signOuts
	links    *auth.SignInLinks
	srv      *http.Server
	done     chan struct{}
}

func startAppliance(t *testing.T, dataDir string, volumeRoots ...string) *appliance {
	t.Helper()
	s, err := boltdb.Open(filepath.Join(dataDir, "simphony-remote.db"))
	if err != nil {
		t.Fatal(err)
	}
	so, links := &signOuts{}, auth.NewSignInLinks(s, nil)
	svc := admin.NewLocal(s, admin.Options{Images: noImages{}, Revoker: so,
		Volumes: volumes.New(volumes.Options{AllowedRoots: volumeRoots, DataDir: dataDir}),
		SignInLink: func(_ context.Context, user string) (string, error) {
			return "https://lab.example:8443/login/link?token=" + links.Make(user), nil
		}})
	ln, err := net.Listen("unix", filepath.Join(dataDir, "admin.sock"))
	if err != nil {
		t.Fatal(err)
	}
	// Leave the socket file behind on close, as a crashed appliance would.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	a := &appliance{store: s, signOuts: so, links: links, srv: &http.Server{Handler: audit.SocketActor(api.AdminHandler(svc, zerolog.Nop())), ConnContext: audit.ConnContext}, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		_ = a.srv.Serve(ln)
	}()
	t.Cleanup(a.stop)
	return a
}

// stop closes the server and the database; the socket file stays.
func (a *appliance) stop() {
	if a.srv == nil {
		return
	}
	_ = a.srv.Close()
	<-a.done
	_ = a.store.Close()
	a.srv = nil
}

// shortDir is a temporary directory whose path is short enough for a unix
// socket inside it (at most 108 bytes), which t.TempDir does not promise.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "src")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// TestSignInLinkCommand: the running appliance makes the link the command
// prints; without it, the command says to start it.
func TestSignInLinkCommand(t *testing.T) {
	c := newCLI(t)
	data := shortDir(t)
	c.env = []string{"SIMPHONY_REMOTE_DATA_DIR=" + data}
	c.ok("db", "init")
	c.ok("db", "user", "create", "alice")
	c.ok("db", "user", "create", "bob")
	c.ok("db", "user", "disable", "bob")
	c.fails(1, []string{"making a sign-in link for alice", "the appliance must be running (simphony-remote serve)"},
		"db", "user", "sign-in-link", "alice")

	a := startAppliance(t, data)
	out := c.ok("db", "user", "sign-in-link", "alice")
	link, rest, _ := strings.Cut(out, "\n")
	token, ok := strings.CutPrefix(link, "https://lab.example:8443/login/link?token=")
	if !ok || rest != "This link signs alice in once, within 5 minutes.\n" {
		t.Fatalf("sign-in-link printed %q", out)
	}
	if u, err := a.links.Check(t.Context(), token); err != nil || u.Name != "alice" {
		t.Errorf("the printed link: %+v, %v; want one that signs alice in", u, err)
	}
	c.fails(1, []string{`making a sign-in link for bob: invalid user "bob": the user is disabled`}, "db", "user", "sign-in-link", "bob")
	c.fails(1, []string{"making a sign-in link: user nobody: not found"}, "db", "user", "sign-in-link", "nobody")
	c.fails(2, []string{"NAME"}, "db", "user", "sign-in-link")
}

func TestThroughAdminSocket(t *testing.T) {
	c := newCLI(t)
	data := shortDir(t)
	db := filepath.Join(data, "simphony-remote.db")
	c.env = []string{"SIMPHONY_REMOTE_DATA_DIR=" + data}
	c.ok("db", "init")
	root := volumestest.Root(t)
	vol := volumestest.Dir(t, root, "data")
	a := startAppliance(t, data, root)

	// The file is held: commands that name it, from anywhere, go through
	// the socket next to it.
	other := shortDir(t)
	c.ok("db", "--db", db, "user", "create", "dora")
	c.env = []string{"SIMPHONY_REMOTE_DATA_DIR=" + other, "SIMPHONY_REMOTE_ACCOUNTING_PATH=" + db}
	if out := c.ok("db", "user", "list", "--no-decoration"); out != "dora\n" {
		t.Errorf("user list with another data dir = %q", out)
	}
	c.env = nil
	if out := c.ok("db", "--db", db, "user", "list", "--no-decoration"); out != "dora\n" {
		t.Errorf("user list --db = %q", out)
	}
	if out := c.ok("db", db, "user", "list", "--no-decoration"); out != "dora\n" {
		t.Errorf("user list with the database first = %q", out)
	}
	if u, err := a.store.User(t.Context(), "dora"); err != nil || u.Name != "dora" {
		t.Errorf("the appliance's store lacks dora: %+v, %v", u, err)
	}
	c.ok("db", "--db", db, "user", "remove", "dora")
	if got := a.signOuts.take(); !slices.Equal(got, []string{"dora"}) {
		t.Errorf("removing dora through the socket signed out %q", got)
	}
	c.env = []string{"SIMPHONY_REMOTE_DATA_DIR=" + data}

	// Users.
	if out := c.ok("db", "user", "create", "alice"); out != "created user alice\n" {
		t.Errorf("user create printed %q", out)
	}
	r := c.runIn("correct horse battery\n", "db", "user", "create", "bob", "--admin", "--password-stdin")
	if r.code != 0 || r.stdout != "created admin user bob\n" {
		t.Fatalf("create with password: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	u, err := a.store.User(t.Context(), "bob")
	if err != nil || auth.VerifyPassword(u.PasswordHash, "correct horse battery") != nil || !u.Admin {
		t.Errorf("bob in the appliance's store: %+v, %v", u, err)
	}
	c.fails(1, []string{`invalid user name "Bob"`, "upper-case letter 'B'"}, "db", "user", "create", "Bob")
	c.fails(1, []string{"creating user alice: user already exists"}, "db", "user", "create", "alice")
	c.fails(1, []string{"removing user nobody: user not found"}, "db", "user", "remove", "nobody")

	// Applications and grants.
	c.ok("db", "app", "create", "img", "--no-verify")
	c.fails(1, []string{"has no image absent:1", "--no-verify"}, "db", "app", "create", "absent:1")
	c.fails(1, []string{"creating application img: application already exists"}, "db", "app", "create", "img")
	id := c.ok("db", "app", "grant", "img", "alice", "--allow-home", "--volume", vol+":/data:ro")
	if !mappingIDRE.MatchString(id) {
		t.Fatalf("grant printed %q", id)
	}
	if again := c.ok("db", "app", "grant", "img", "alice", "--allow-home", "--volume", vol+"/:/data:ro"); again != id {
		t.Errorf("the same grant printed %q, then %q", id, again)
	}
	// The appliance checks the host; its answer comes back as it is.
	loose := volumestest.Dir(t, root, "loose")
	if err := os.Chmod(loose, 0o757); err != nil {
		t.Fatal(err)
	}
	c.fails(1, []string{"granting img to alice", loose + " is writable by others"}, "db", "app", "grant", "img", "alice", "--volume", loose+":/data:ro")
	c.fails(1, []string{data + " is not under an allowed root"}, "db", "app", "grant", "img", "alice", "--volume", data+":/data:ro")
	c.fails(2, []string{"target /proc is a kernel file system"}, "db", "app", "grant", "img", "alice", "--volume", vol+":/proc:ro")
	c.fails(1, []string{"granting img to nobody", "user nobody: not found"}, "db", "app", "grant", "img", "nobody")
	c.fails(1, []string{"target /workspace is where the home"}, "db", "app", "grant", "img", "alice", "--allow-home", "--volume", "/data:/workspace:rw")
	users := c.users(db)
	if len(users) != 2 || users[0].Name != "alice" || len(*users[0].Applications) != 1 || (*users[0].Applications)[0].MappingID+"\n" != id {
		t.Fatalf("user list through the socket: %+v", users)
	}
	if g, err := a.store.GrantByID(t.Context(), strings.TrimSpace(id)); err != nil || g.User != "alice" {
		t.Errorf("the appliance's store lacks the grant: %+v, %v", g, err)
	}
	if table := c.ok("db", "user", "list", "--show-apps"); !strings.Contains(table, vol+":/data:ro") {
		t.Errorf("user list --show-apps:\n%s", table)
	}
	c.fails(1, []string{"no grant with that policy", "--revoke-all"}, "db", "app", "revoke", "img", "alice")
	c.ok("db", "app", "revoke", "img", "alice", "--allow-home", "--volume", vol+":/data:ro")
	c.ok("db", "app", "grant", "img", "alice")
	c.ok("db", "app", "grant", "img", "alice", "--allow-view")
	if out := c.ok("db", "app", "revoke", "img", "alice", "--revoke-all"); !strings.Contains(out, "revoked 2 grant(s)") {
		t.Errorf("revoke-all printed %q", out)
	}
	c.ok("db", "app", "limits", "img", "--memory", "512m")
	if out := c.ok("db", "app", "list", "--json"); !strings.Contains(out, `"memory_bytes": 536870912`) {
		t.Errorf("app list --json = %s", out)
	}

	// The new user commands.
	if r := c.runIn("a new secret\n", "db", "user", "set-password", "alice", "--password-stdin"); r.code != 0 || !strings.Contains(r.stdout, "set the password of alice") {
		t.Errorf("set-password: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	c.ok("db", "user", "disable", "bob")
	c.ok("db", "user", "enable", "bob")
	c.ok("db", "user", "set-admin", "alice")
	c.ok("db", "user", "set-admin", "bob", "--admin=false")
	if got := a.signOuts.take(); !slices.Equal(got, []string{"alice", "bob"}) {
		t.Errorf("the appliance signed out %q, want alice (new password) and bob (disabled)", got)
	}
	alice, _ := a.store.User(t.Context(), "alice")
	bob, _ := a.store.User(t.Context(), "bob")
	if !alice.Admin || bob.Admin || bob.Disabled || auth.VerifyPassword(alice.PasswordHash, "a new secret") != nil {
		t.Errorf("after the changes: alice %+v, bob %+v", alice, bob)
	}

	// Backup.
	backup := filepath.Join(t.TempDir(), "backup.db")
	if out := c.ok("db", "backup", backup); !strings.Contains(out, "backed up") {
		t.Errorf("backup printed %q", out)
	}
	if err := boltdb.CheckFile(backup); err != nil {
		t.Fatalf("the backup does not check: %v", err)
	}
	if b := c.users(backup); len(b) != 2 {
		t.Errorf("the backup holds %+v", b)
	}
	c.fails(1, []string{"backing up to " + backup, "already exists"}, "db", "backup", backup)

	// --db naming the configured file still goes through the socket.
	c.ok("db", "--db", db, "user", "remove", "bob")
	c.ok("db", "app", "remove", "img")
	if out := c.ok("db", "user", "list", "--json"); !strings.Contains(out, "alice") || strings.Contains(out, "bob") {
		t.Errorf("user list = %s", out)
	}

	// Once the appliance is gone, its stale socket is ignored.
	a.stop()
	if _, err := os.Stat(filepath.Join(data, "admin.sock")); err != nil {
		t.Fatalf("the stale socket is missing: %v", err)
	}
	if out := c.ok("db", "user", "list"); !strings.Contains(out, "alice") {
		t.Errorf("user list from the file = %q", out)
	}
	c.ok("db", "user", "remove", "alice")
}

// TestUserCommandsOnFile: set-password, disable, enable and set-admin on a
// database file, signing users out of the login sessions stored there.
func TestUserCommandsOnFile(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(c.dir, "x.db")
	c.ok("db", "--db", db, "init")
	c.ok("db", "--db", db, "user", "create", "alice")
	c.ok("db", "--db", db, "user", "create", "bob")

	// Stored login sessions, as the appliance leaves them.
	s, err := boltdb.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = s.PutLogins(t.Context(),
		auth.Login{IDHash: "a1", User: "alice", Created: now, LastSeen: now},
		auth.Login{IDHash: "b1", User: "bob", Created: now, LastSeen: now})
	_ = s.Close()
	if err != nil {
		t.Fatal(err)
	}

	// Without a terminal, the password comes only with --password-stdin.
	if r := c.runIn("correct horse battery\n", "db", "--db", db, "user", "set-password", "alice"); r.code != 2 || !strings.Contains(r.stderr, "standard input is not a terminal to ask for the password: pipe it in with --password-stdin") {
		t.Errorf("no terminal, no --password-stdin: exit %d, %s", r.code, r.stderr)
	}
	c.fails(2, []string{"none of the others can be"}, "db", "--db", db, "user", "set-password", "alice", "--remove", "--password-stdin")
	if r := c.runIn("short\n", "db", "--db", db, "user", "set-password", "alice", "--password-stdin"); r.code != 1 || !strings.Contains(r.stderr, "use at least 8") {
		t.Errorf("short password: exit %d, %s", r.code, r.stderr)
	}
	if r := c.runIn("", "db", "--db", db, "user", "set-password", "alice", "--password-stdin"); r.code != 1 || !strings.Contains(r.stderr, "--password-stdin: standard input is empty") {
		t.Errorf("empty stdin: exit %d, %s", r.code, r.stderr)
	}
	if r := c.runIn("x\n", "db", "--db", db, "user", "set-password", "nobody", "--password-stdin"); r.code != 1 || !strings.Contains(r.stderr, "user nobody: not found") {
		t.Errorf("unknown user: exit %d, %s", r.code, r.stderr)
	}
	r := c.runIn("correct horse battery\n", "db", "--db", db, "user", "set-password", "alice", "--password-stdin")
	if r.code != 0 || r.stdout != "set the password of alice; they are signed out everywhere\n" || strings.Contains(r.stdout+r.stderr, "correct horse") {
		t.Fatalf("set-password: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if out := c.ok("db", "--db", db, "user", "disable", "bob"); out != "disabled user bob\n" {
		t.Errorf("disable printed %q", out)
	}
	if out := c.ok("db", "--db", db, "user", "set-admin", "bob"); out != "bob is now an administrator\n" {
		t.Errorf("set-admin printed %q", out)
	}

	s, err = boltdb.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	logins, _ := s.Logins(t.Context())
	alice, _ := s.User(t.Context(), "alice")
	bob, _ := s.User(t.Context(), "bob")
	_ = s.Close()
	if len(logins) != 0 {
		t.Errorf("login sessions left after a new password and disabling: %+v", logins)
	}
	if auth.VerifyPassword(alice.PasswordHash, "correct horse battery") != nil || !bob.Disabled || !bob.Admin {
		t.Errorf("alice %+v, bob %+v", alice, bob)
	}

	c.ok("db", "--db", db, "user", "enable", "bob")
	c.ok("db", "--db", db, "user", "set-admin", "bob", "--admin=false")
	if out := c.ok("db", "--db", db, "user", "set-password", "alice", "--remove"); !strings.Contains(out, "removed the password of alice") {
		t.Errorf("set-password --remove printed %q", out)
	}
	s, err = boltdb.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	alice, _ = s.User(t.Context(), "alice")
	bob, _ = s.User(t.Context(), "bob")
	_ = s.Close()
	if alice.PasswordHash != "" || bob.Disabled || bob.Admin {
		t.Errorf("alice %+v, bob %+v", alice, bob)
	}
	c.fails(1, []string{"user nobody: not found"}, "db", "--db", db, "user", "disable", "nobody")
	c.fails(2, []string{"expects NAME, got 0 argument(s)"}, "db", "--db", db, "user", "enable")
	for _, cmd := range []string{"set-password", "disable", "enable", "set-admin"} {
		if out := c.ok("db", "user", cmd, "--help"); !strings.Contains(out, "Examples:") {
			t.Errorf("user %s --help has no examples:\n%s", cmd, out)
		}
	}
}
