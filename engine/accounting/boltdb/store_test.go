package boltdb

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/accountingtest"
)

// create writes a new database holding the given grants.
func create(t *testing.T, grants []accountingtest.FixtureGrant) string {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "simphony-remote.db")
	s, err := Init(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	users, apps := map[string]bool{}, map[string]bool{}
	for _, g := range grants {
		if !users[g.User] {
			users[g.User] = true
			if err := s.CreateUser(ctx, accounting.User{Name: g.User}); err != nil {
				t.Fatal(err)
			}
		}
		if !apps[g.Image] {
			apps[g.Image] = true
			if err := s.CreateApplication(ctx, accounting.Application{Image: g.Image}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Grant(ctx, g.User, g.Image, g.Policy); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func openT(t *testing.T, path string) accounting.Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Every contract test must leave a file whose indexes agree.
		_ = s.Close()
		if err := checkFile(path); err != nil {
			t.Errorf("check after test: %v", err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	accountingtest.Run(t, accountingtest.Backend{Create: create, Open: openT})
}

func TestInitRefusesToOverwrite(t *testing.T) {
	path := create(t, accountingtest.Fixture)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Init(path); !errors.Is(err, accounting.ErrExists) || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("Init on an existing file: %v", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("Init changed an existing file")
	}
}

func TestOpenMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.db")
	if _, err := Open(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("Open(missing) created the file")
	}
}

func TestOpenLocked(t *testing.T) {
	path := create(t, nil)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Open(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
}

func TestOpenNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "text.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 500)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open(text file) = %v, want an error naming the file", err)
	}
}

func TestOpenOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	s, err := OpenOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(t.Context(), accounting.User{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = OpenOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.User(t.Context(), "alice"); err != nil {
		t.Fatalf("OpenOrCreate of an existing file lost its content: %v", err)
	}
}

func TestMigrations(t *testing.T) {
	newDB := func(t *testing.T) *bolt.DB {
		db, err := bolt.Open(filepath.Join(t.TempDir(), "m.db"), 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	version := func(t *testing.T, db *bolt.DB) uint64 {
		var v uint64
		if err := db.View(func(tx *bolt.Tx) (err error) { v, err = schemaVersion(tx); return err }); err != nil {
			t.Fatal(err)
		}
		return v
	}
	var ran []string
	step := func(name string, fail bool) migration {
		return migration{name, func(tx *bolt.Tx) error {
			ran = append(ran, name)
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
			if fail {
				return errors.New("boom")
			}
			return nil
		}}
	}

	t.Run("applies missing steps in order, once", func(t *testing.T) {
		ran = nil
		db := newDB(t)
		if err := migrate(db, []migration{step("one", false)}); err != nil {
			t.Fatal(err)
		}
		if err := migrate(db, []migration{step("one", false), step("two", false), step("three", false)}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(ran, ","); got != "one,two,three" {
			t.Errorf("steps ran: %s", got)
		}
		if v := version(t, db); v != 3 {
			t.Errorf("version = %d, want 3", v)
		}
	})
	t.Run("a failing step changes nothing", func(t *testing.T) {
		ran = nil
		db := newDB(t)
		err := migrate(db, []migration{step("one", false), step("two", true)})
		if err == nil || !strings.Contains(err.Error(), "from version 1 to 2 (two): boom") {
			t.Fatalf("migrate = %v", err)
		}
		if v := version(t, db); v != 1 {
			t.Errorf("version = %d, want 1", v)
		}
		_ = db.View(func(tx *bolt.Tx) error {
			if tx.Bucket([]byte("two")) != nil {
				t.Error("the failed step's bucket exists")
			}
			return nil
		})
	})
	t.Run("a newer file is refused", func(t *testing.T) {
		path := create(t, nil)
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = db.Update(func(tx *bolt.Tx) error {
			var b [8]byte
			binary.BigEndian.PutUint64(b[:], SchemaVersion+1)
			return tx.Bucket(bucketMeta).Put(keySchemaVersion, b[:])
		})
		db.Close()
		_, err = Open(path)
		if err == nil || !strings.Contains(err.Error(), "upgrade simphony-remote") {
			t.Fatalf("Open(newer file) = %v", err)
		}
	})
}

func TestBackup(t *testing.T) {
	ctx := t.Context()
	s, err := Open(create(t, accountingtest.Fixture))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := t.TempDir()
	dst := filepath.Join(dir, "backup.db")
	if err := s.Backup(ctx, dst); err != nil {
		t.Fatal(err)
	}
	// The store stays usable while and after backing up.
	if err := s.CreateUser(ctx, accounting.User{Name: "after"}); err != nil {
		t.Fatal(err)
	}

	b, err := Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Check(ctx); err != nil {
		t.Fatal(err)
	}
	// The copy is the same installation (a restore brings it back).
	if id, err := s.InstallationID(); err != nil || len(id) != 16 {
		t.Errorf("installation id %q, %v", id, err)
	} else if bid, err := b.InstallationID(); bid != id {
		t.Errorf("the backup's installation id is %q (%v), want %q", bid, err, id)
	}
	users, _ := b.Users(ctx)
	grants, _ := b.Grants(ctx, "alice")
	b.Close()
	if len(users) != 2 || len(grants) != 3 {
		t.Errorf("backup holds %d users and %d grants of alice, want 2 and 3", len(users), len(grants))
	}

	if err := s.Backup(ctx, dst); !errors.Is(err, accounting.ErrExists) {
		t.Errorf("backup over an existing file: %v, want ErrExists", err)
	}
	if err := s.Backup(ctx, filepath.Join(dir, "no", "such", "dir.db")); err == nil {
		t.Error("backup into a missing directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("backup dir holds %d entries, want only backup.db (no temporary files)", len(entries))
	}
}

func TestCheckFindsBrokenIndexes(t *testing.T) {
	for _, bucket := range [][]byte{bucketGrantKeys, bucketUserGrants} {
		t.Run(string(bucket), func(t *testing.T) {
			path := create(t, accountingtest.Fixture)
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			// Drop one index entry behind the store's back.
			_ = db.Update(func(tx *bolt.Tx) error {
				c := tx.Bucket(bucket).Cursor()
				k, _ := c.First()
				return c.Bucket().Delete(k)
			})
			db.Close()
			if err := checkFile(path); err == nil {
				t.Fatal("check passed on a file with a missing index entry")
			}
		})
	}
}

// Each database is its own installation, from its creation or, for a file
// of an older version, from its first open; the id then never changes.
func TestInstallationID(t *testing.T) {
	a, err := Init(filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Init(filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ida, _ := a.InstallationID()
	idb, _ := b.InstallationID()
	if ida == "" || ida == idb {
		t.Fatalf("installation ids %q and %q, want two different ones", ida, idb)
	}
	path := a.Path()
	a.Close()
	// As written by the previous schema version: no id yet.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Update(func(tx *bolt.Tx) error {
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], SchemaVersion-1)
		if err := tx.Bucket(bucketMeta).Put(keySchemaVersion, v[:]); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Delete(keyInstallation)
	})
	db.Close()
	opened := func() string {
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		id, err := s.InstallationID()
		if err != nil || len(id) != 16 {
			t.Fatalf("after the upgrade: installation id %q, %v", id, err)
		}
		return id
	}
	if first, second := opened(), opened(); first != second {
		t.Errorf("installation id changed from %q to %q between two opens", first, second)
	}
}
