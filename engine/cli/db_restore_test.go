package cli_test

import (
	"bytes"
	encbinary "encoding/binary"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/shares"
)

// dump is every record of a bbolt file, "bucket/…/key" → value, nested
// buckets included.
func dump(t *testing.T, path string) map[string]string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("dumping %s: %v", path, err)
	}
	defer db.Close()
	out := map[string]string{}
	var walk func(prefix string, b *bolt.Bucket) error
	walk = func(prefix string, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				out[prefix+string(k)+"/"] = "(bucket)"
				return walk(prefix+string(k)+"/", b.Bucket(k))
			}
			out[prefix+string(k)] = string(v)
			return nil
		})
	}
	if err := db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			out[string(name)+"/"] = "(bucket)"
			return walk(string(name)+"/", b)
		})
	}); err != nil {
		t.Fatalf("dumping %s: %v", path, err)
	}
	return out
}

// sameDump reports the differences between two dumps.
func sameDump(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if g, w := got[k], want[k]; g != w {
			t.Errorf("%s: record %q is %q, want %q", what, k, g, w)
		}
	}
}

// in is c for the subtest t.
func (c *cli) in(t *testing.T) *cli {
	return &cli{t: t, dir: c.dir, env: c.env}
}

// dirEntries lists the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// edited copies the bbolt file src to a new file and changes it with fn.
func edited(t *testing.T, src string, fn func(tx *bolt.Tx) error) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "edited.db")
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(dst, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	return dst
}

// withSchemaVersion copies the bbolt file src to a new file with its schema
// version set to v.
func withSchemaVersion(t *testing.T, src string, v uint64) string {
	t.Helper()
	return edited(t, src, func(tx *bolt.Tx) error {
		var n [8]byte
		encbinary.BigEndian.PutUint64(n[:], v)
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), n[:])
	})
}

// TestBackupServingRestoreStopped: a backup taken through the running
// appliance's socket, restored once it is stopped, brings back every record
// exactly; the database it replaced is kept.
func TestBackupServingRestoreStopped(t *testing.T) {
	ctx := t.Context()
	c := newCLI(t)
	data := shortDir(t)
	db := filepath.Join(data, "simphony-remote.db")
	c.env = []string{"SIMPHONY_REMOTE_DATA_DIR=" + data}
	c.ok("db", "init")
	a := startAppliance(t, data)

	// Every kind of record, written while serving.
	c.ok("db", "user", "create", "alice", "--admin")
	c.ok("db", "user", "create", "bob")
	c.ok("db", "user", "disable", "bob")
	c.ok("db", "app", "create", "img:1", "--no-verify", "--memory", "512m")
	c.ok("db", "app", "create", "img:2", "--no-verify")
	id1 := strings.TrimSpace(c.ok("db", "app", "grant", "img:1", "alice", "--allow-home", "--allow-view", "--app-license", "LIC"))
	id2 := strings.TrimSpace(c.ok("db", "app", "grant", "img:2", "bob"))
	if r := c.runIn("a password\n", "db", "user", "set-password", "bob", "--password-stdin"); r.code != 0 {
		t.Fatalf("set-password: %s", r.stderr)
	}
	now := time.Now().UTC().Truncate(time.Second)
	expires := now.Add(time.Hour)
	if err := a.store.PutLogins(ctx, auth.Login{IDHash: "h1", User: "alice", CSRF: "c", Created: now, LastSeen: now, Address: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if err := a.store.PutTokens(ctx, auth.Token{ID: "t1", User: "alice", Name: "laptop", Hash: "x", Created: now, Expires: &expires}); err != nil {
		t.Fatal(err)
	}
	if err := a.store.PutShares(ctx, shares.Share{URLID: strings.Repeat("a", 32), User: "bob", Mode: shares.View, Created: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.SessionUID(ctx, "alice", accounting.UIDRange{First: 200000, Last: 200999}); err != nil {
		t.Fatal(err)
	}
	installation, err := a.store.InstallationID()
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	c.ok("db", "backup", backup)
	a.stop()

	want := dump(t, db)
	for _, k := range []string{"meta/installation_id", "grants/" + id1, "grants/" + id2, "users/bob", "applications/img:1", "logins/h1", "tokens/t1", "meta/next_session_uid"} {
		if want[k] == "" {
			t.Fatalf("the populated database lacks %s: %v", k, want)
		}
	}
	if !slices.ContainsFunc(slices.Collect(maps.Keys(want)), func(k string) bool { return strings.HasPrefix(k, "audit/") }) {
		t.Fatalf("the populated database has no audit entries: %v", want)
	}
	sameDump(t, "the backup", dump(t, backup), want)

	// Later changes, which the restore undoes.
	c.ok("db", "user", "remove", "bob")
	c.ok("db", "user", "create", "carol")
	changed := dump(t, db)

	out := c.ok("db", "restore", backup)
	if !strings.Contains(out, "restored "+db+" from "+backup) || !strings.Contains(out, "kept as "+db+".before-restore-") {
		t.Errorf("restore printed %q", out)
	}
	sameDump(t, "the restored database", dump(t, db), want)
	kept, _ := filepath.Glob(db + ".before-restore-*")
	if len(kept) != 1 || !strings.Contains(out, kept[0]) {
		t.Fatalf("kept aside: %v (printed %q)", kept, out)
	}
	sameDump(t, "the database kept aside", dump(t, kept[0]), changed)
	if got := dirEntries(t, data); len(got) != 3 { // the database, the one kept aside, admin.sock
		t.Errorf("the data dir holds %v, want no temporary files", got)
	}

	// Onto a machine without a database: nothing to keep aside.
	fresh := filepath.Join(shortDir(t), "simphony-remote.db")
	if out := c.ok("db", "--db", fresh, "restore", backup); strings.Contains(out, "kept as") || !strings.Contains(out, "restored "+fresh) {
		t.Errorf("restore onto no database printed %q", out)
	}
	sameDump(t, "the database restored onto none", dump(t, fresh), want)

	// The appliance starts on the restored database, the same installation.
	s, err := boltdb.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if id, err := s.InstallationID(); err != nil || id != installation {
		t.Errorf("installation id after the restore: %q, %v; want %q", id, err, installation)
	}
	if g, err := s.GrantByID(ctx, id1); err != nil || g.User != "alice" || !g.Policy.AllowView || g.Policy.AppLicense != "LIC" {
		t.Errorf("grant %s after the restore: %+v, %v", id1, g, err)
	}
}

// TestRestoreRefused: while the appliance runs, and for a backup that is
// not one or is newer than this build, restore refuses with a message and
// changes nothing.
func TestRestoreRefused(t *testing.T) {
	c := newCLI(t)
	data := shortDir(t)
	db := filepath.Join(data, "simphony-remote.db")
	c.env = []string{"SIMPHONY_REMOTE_DATA_DIR=" + data}
	c.ok("db", "init")
	c.ok("db", "user", "create", "alice")
	c.ok("db", "app", "create", "img", "--no-verify")
	c.ok("db", "app", "grant", "img", "alice")
	backup := filepath.Join(t.TempDir(), "backup.db")
	c.ok("db", "backup", backup)
	c.ok("db", "user", "create", "bob")

	unchanged := func(t *testing.T, want map[string]string, wantEntries []string) {
		t.Helper()
		sameDump(t, "the database", dump(t, db), want)
		if got := dirEntries(t, data); !slices.Equal(got, wantEntries) {
			t.Errorf("the data dir holds %v, want %v", got, wantEntries)
		}
	}

	t.Run("appliance running", func(t *testing.T) {
		c := c.in(t)
		want := dump(t, db)
		a := startAppliance(t, data)
		entries := dirEntries(t, data)
		c.fails(1, []string{"restoring " + db, "the appliance is running", "sudo systemctl stop simphony-remote", "simphony-remote serve"}, "db", "restore", backup)
		c.fails(1, []string{"the appliance is running"}, "db", "--db", db, "restore", backup)
		a.stop()
		unchanged(t, want, entries)
		if err := os.Remove(filepath.Join(data, "admin.sock")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("database held by another process", func(t *testing.T) {
		c := c.in(t)
		want, entries := dump(t, db), dirEntries(t, data)
		s, err := boltdb.Open(db)
		if err != nil {
			t.Fatal(err)
		}
		c.fails(1, []string{"another process holds the database", "sudo systemctl stop simphony-remote"}, "db", "restore", backup)
		_ = s.Close()
		unchanged(t, want, entries)
	})

	good, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	bad := func(name string, content []byte) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A page of the file zeroed past its two meta pages.
	damaged := bytes.Clone(good)
	page := os.Getpagesize()
	for i := 2 * page; i < len(damaged); i++ {
		damaged[i] = 0xff
	}
	for _, tc := range []struct {
		name  string
		file  string
		wants []string
	}{
		{"not a database", bad("text.db", []byte("user,image\nalice,img\n")), []string{"the backup", "not a simphony-remote database"}},
		{"truncated", bad("truncated.db", good[:len(good)/2]), []string{"the backup", "truncated"}},
		{"damaged pages", bad("damaged.db", damaged), []string{"the backup", "bbolt"}},
		{"missing", filepath.Join(t.TempDir(), "absent.db"), []string{"absent.db", "no such file"}},
		{"broken index", edited(t, backup, func(tx *bolt.Tx) error {
			c := tx.Bucket([]byte("grant_keys")).Cursor()
			k, _ := c.First()
			return c.Bucket().Delete(k)
		}), []string{"the backup", "content index points to"}},
		{"newer schema", withSchemaVersion(t, backup, boltdb.SchemaVersion+1), []string{
			fmt.Sprintf("schema version %d", boltdb.SchemaVersion+1),
			fmt.Sprintf("knows versions up to %d", boltdb.SchemaVersion)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := c.in(t)
			want, entries := dump(t, db), dirEntries(t, data)
			c.fails(1, append([]string{"restoring " + db + " from " + tc.file}, tc.wants...), "db", "restore", tc.file)
			unchanged(t, want, entries)
		})
	}

	t.Run("CSV backend", func(t *testing.T) {
		c := c.in(t)
		csv := filepath.Join(t.TempDir(), "accounting.csv")
		content := "user.name,application.image\nalice,img\n"
		if err := os.WriteFile(csv, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		c.fails(1, []string{"accounting.csv is a CSV file", "restore replaces bbolt databases"}, "db", "--db", csv, "restore", backup)
		if b, _ := os.ReadFile(csv); string(b) != content {
			t.Errorf("the CSV file changed: %q", b)
		}
	})

	// An older schema version is restored and upgraded at the next open.
	t.Run("older schema", func(t *testing.T) {
		c := c.in(t)
		older := withSchemaVersion(t, backup, boltdb.SchemaVersion-1)
		out := c.ok("db", "restore", older)
		if !strings.Contains(out, fmt.Sprintf("schema version %d: it is upgraded to version %d at the next start", boltdb.SchemaVersion-1, boltdb.SchemaVersion)) {
			t.Errorf("restore printed %q", out)
		}
		if users := c.users(db); len(users) != 1 || users[0].Name != "alice" || len(*users[0].Applications) != 1 {
			t.Errorf("users after restoring the older backup: %+v", users)
		}
		if err := boltdb.CheckFile(db); err != nil {
			t.Errorf("after the upgrade: %v", err)
		}
	})
}
