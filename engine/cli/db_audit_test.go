package cli_test

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api"
	"github.com/simphony/simphony-remote/engine/audit"
)

// auditJSON is the output of db audit --json, read strictly.
type auditJSON struct {
	Entries []audit.Entry `json:"entries"`
	Next    *uint64       `json:"next"`
}

func (c *cli) auditJSON(args ...string) auditJSON {
	c.t.Helper()
	out := c.ok(append(args, "--json")...)
	var p auditJSON
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		c.t.Fatalf("%v --json: %v\n%s", args, err, out)
	}
	return p
}

func TestDBAuditOnFile(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(c.dir, "x.db")
	c.ok("db", "--db", db, "init")
	if out := c.ok("db", "--db", db, "audit"); out != "TIME  ACTOR  ADDRESS  ACTION  TARGET  DETAIL  RESULT\n" {
		t.Errorf("empty log: %q", out)
	}
	if p := c.auditJSON("db", "--db", db, "audit"); p.Entries == nil || len(p.Entries) != 0 || p.Next != nil {
		t.Errorf("empty log --json: %+v", p)
	}

	// Entries as the appliance leaves them.
	s, err := boltdb.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	for i, e := range []audit.Entry{
		{Actor: "alice", Address: "192.0.2.4", Action: audit.SignIn, Target: "alice", Result: audit.ResultOK},
		{Actor: "alice", Address: "192.0.2.4", Action: audit.UserCreate, Target: "bob", Detail: "admin=false", Result: audit.ResultOK},
		{Actor: "mallory", Address: "198.51.100.1", Action: audit.SignIn, Target: "root\nforged\tline", Detail: "bad password", Result: audit.ResultFailed},
	} {
		e.Time = when.Add(time.Duration(i) * time.Minute)
		if _, err := s.AppendAudit(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Close()

	want := `TIME                  ACTOR    ADDRESS       ACTION       TARGET                  DETAIL        RESULT
2025-06-07T08:11:10Z  mallory  198.51.100.1  signin       root\x0aforged\x09line  bad password  failed
2025-06-07T08:10:10Z  alice    192.0.2.4     user.create  bob                     admin=false   ok
2025-06-07T08:09:10Z  alice    192.0.2.4     signin       alice                   -             ok
`
	if out := c.ok("db", "--db", db, "audit"); out != want {
		t.Errorf("db audit:\n%s\nwant:\n%s", out, want)
	}
	r := c.run("db", "--db", db, "audit", "--limit", "2")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 3 || r.stderr != "older entries: simphony-remote db audit --before 2\n" {
		t.Errorf("--limit 2: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if out := c.ok("db", "--db", db, "audit", "--before", "2"); strings.Count(out, "\n") != 2 || !strings.Contains(out, "2025-06-07T08:09:10Z") {
		t.Errorf("--before 2:\n%s", out)
	}
	p := c.auditJSON("db", "--db", db, "audit", "--limit", "1")
	if len(p.Entries) != 1 || p.Next == nil || *p.Next != 3 || p.Entries[0].ID != 3 || p.Entries[0].Target != "root\nforged\tline" || !p.Entries[0].Time.Equal(when.Add(2*time.Minute)) {
		t.Errorf("--json --limit 1: %+v", p)
	}
	if p := c.auditJSON("db", "--db", db, "audit", "--before", "3"); len(p.Entries) != 2 || p.Next != nil || p.Entries[0].ID != 2 {
		t.Errorf("--json --before 3: %+v", p)
	}

	c.fails(2, []string{"--limit 0: want 1 or more"}, "db", "--db", db, "audit", "--limit", "0")
	c.fails(2, []string{"invalid argument"}, "db", "--db", db, "audit", "--before", "-1")
	csv := filepath.Join(c.dir, "accounting.csv")
	if err := os.WriteFile(csv, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c.fails(1, []string{"is a CSV file: it keeps no audit log"}, "db", "--db", csv, "audit")
	c.fails(1, []string{"no accounting database at"}, "db", "--db", filepath.Join(c.dir, "none.db"), "audit")

	// With CSV accounting, the log is in the appliance's bbolt state file.
	data := t.TempDir()
	if err := os.Rename(db, filepath.Join(data, "simphony-remote.db")); err != nil {
		t.Fatal(err)
	}
	c.env = []string{"SIMPHONY_REMOTE_DATA_DIR=" + data, "SIMPHONY_REMOTE_ACCOUNTING_BACKEND=csv", "SIMPHONY_REMOTE_ACCOUNTING_PATH=" + csv}
	if p := c.auditJSON("db", "audit"); len(p.Entries) != 3 {
		t.Errorf("db audit with CSV accounting: %+v", p)
	}
}

// TestDBAuditThroughSocket: changes made with db through the running
// appliance's admin socket are recorded with the caller's uid, and db
// audit reads them through the socket.
func TestDBAuditThroughSocket(t *testing.T) {
	c := newCLI(t)
	data := shortDir(t)
	c.env = []string{"SIMPHONY_REMOTE_DATA_DIR=" + data}
	c.ok("db", "init")

	s, err := boltdb.Open(filepath.Join(data, "simphony-remote.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	svc := admin.NewLocal(s, admin.Options{Images: noImages{}, Audit: s, Log: audit.NewLog(s, zerolog.Nop())})
	ln, err := net.Listen("unix", filepath.Join(data, "admin.sock"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ConnContext: audit.ConnContext, Handler: audit.SocketActor(api.AdminHandler(svc, zerolog.Nop()))}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	defer func() {
		_ = srv.Close()
		<-done
	}()

	c.ok("db", "user", "create", "alice")
	c.fails(1, []string{"already exists"}, "db", "user", "create", "alice")
	c.ok("db", "app", "create", "img", "--no-verify")
	c.ok("db", "app", "grant", "img", "alice", "--allow-home")
	c.ok("db", "backup", filepath.Join(t.TempDir(), "b.db"))

	uid := strconv.Itoa(os.Getuid())
	actor := "socket uid " + uid
	if u, err := user.LookupId(uid); err == nil && u.Username != "" {
		actor += " (" + u.Username + ")"
	}
	p := c.auditJSON("db", "audit")
	var got []string
	for _, e := range p.Entries {
		if e.Actor != actor || e.Address != "admin.sock" {
			t.Errorf("entry %+v, want actor %q at admin.sock", e, actor)
		}
		got = append(got, e.Action+" "+e.Target+" "+e.Result)
	}
	want := "backup database ok|grant.create img for alice ok|application.create img ok|user.create alice failed|user.create alice ok"
	if strings.Join(got, "|") != want {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.ReplaceAll(want, "|", "\n"))
	}
	table := c.ok("db", "audit", "--limit", "3")
	if lines := strings.Split(strings.TrimSpace(table), "\n"); len(lines) != 4 || !strings.Contains(lines[1], actor) || !strings.Contains(lines[1], "admin.sock") || !strings.Contains(lines[2], "allow_home") {
		t.Errorf("db audit --limit 3:\n%s", table)
	}
}
