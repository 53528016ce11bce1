package boltdb

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/shares"
)

// olderRecords writes, into a file of an earlier schema version, the
// records that version introduced, as a build of that version would, and
// checks after the upgrade that they read back. Key: the schema version
// that introduced them. A new migration adds its entry here (an empty one
// when it adds no kind of record), or TestUpgradeFromEveryVersion fails.
var olderRecords = map[uint64]struct {
	write func(t *testing.T, f *fixture)
	check func(t *testing.T, f *fixture)
}{
	1: {write: func(t *testing.T, f *fixture) {
		ctx := t.Context()
		must(t, f.s.CreateUser(ctx, accounting.User{Name: "alice", Admin: true, PasswordHash: "hash"}))
		must(t, f.s.CreateUser(ctx, accounting.User{Name: "bob", Disabled: true}))
		must(t, f.s.CreateApplication(ctx, accounting.Application{Image: "img:1", Limits: accounting.Limits{Memory: 1 << 29, CPUs: 1.5, Pids: 100}}))
		must(t, f.s.CreateApplication(ctx, accounting.Application{Image: "img:2"}))
		must(t, f.s.SetRunAsRoot(ctx, "img:2", true))
		for _, g := range migrationGrants {
			id, err := f.s.Grant(ctx, g.User, g.Image, g.Policy)
			must(t, err)
			f.grantIDs = append(f.grantIDs, id)
		}
		uid, err := f.s.SessionUID(ctx, "alice", accounting.UIDRange{First: 300000, Last: 300099})
		must(t, err)
		if uid != 300000 {
			t.Fatalf("alice's session uid %d, want 300000", uid)
		}
	}, check: func(t *testing.T, f *fixture) {
		ctx := t.Context()
		users, err := f.s.Users(ctx)
		must(t, err)
		if len(users) != 2 || users[0].Name != "alice" || !users[0].Admin || users[0].PasswordHash != "hash" || users[1].Name != "bob" || !users[1].Disabled {
			t.Errorf("users: %+v", users)
		}
		apps, err := f.s.Applications(ctx)
		must(t, err)
		want := []accounting.Application{
			{Image: "img:1", Limits: accounting.Limits{Memory: 1 << 29, CPUs: 1.5, Pids: 100}},
			{Image: "img:2", RunAsRoot: true},
		}
		if !reflect.DeepEqual(apps, want) {
			t.Errorf("applications: %+v, want %+v", apps, want)
		}
		for i, g := range migrationGrants {
			got, err := f.s.GrantByID(ctx, f.grantIDs[i])
			if err != nil || got.User != g.User || got.Image != g.Image || !reflect.DeepEqual(got.Policy, g.Policy) {
				t.Errorf("grant %s: %+v, %v; want %+v", f.grantIDs[i], got, err, g)
			}
		}
		if uid, err := f.s.SessionUID(ctx, "alice", accounting.UIDRange{First: 300000, Last: 300099}); err != nil || uid != 300000 {
			t.Errorf("alice's session uid: %d, %v; want 300000 kept", uid, err)
		}
	}},
	2: {write: func(t *testing.T, f *fixture) {
		must(t, f.s.PutLogins(t.Context(), migrationLogin))
	}, check: func(t *testing.T, f *fixture) {
		logins, err := f.s.Logins(t.Context())
		if err != nil || !reflect.DeepEqual(logins, []auth.Login{migrationLogin}) {
			t.Errorf("logins: %+v, %v", logins, err)
		}
	}},
	3: {write: func(t *testing.T, f *fixture) {
		_, err := f.s.AppendAudit(t.Context(), migrationAudit)
		must(t, err)
	}, check: func(t *testing.T, f *fixture) {
		entries, _, err := f.s.AuditEntries(t.Context(), 0, 10)
		want := migrationAudit
		want.ID = 1
		if err != nil || len(entries) != 1 || !reflect.DeepEqual(entries[0], want) {
			t.Errorf("audit entries: %+v, %v; want %+v", entries, err, want)
		}
	}},
	4: {write: func(t *testing.T, f *fixture) {
		must(t, f.s.PutTokens(t.Context(), migrationToken))
		must(t, f.s.PutShares(t.Context(), migrationShare))
	}, check: func(t *testing.T, f *fixture) {
		tokens, err := f.s.Tokens(t.Context())
		if err != nil || !reflect.DeepEqual(tokens, []auth.Token{migrationToken}) {
			t.Errorf("tokens: %+v, %v", tokens, err)
		}
		list, err := f.s.Shares(t.Context())
		if err != nil || !reflect.DeepEqual(list, []shares.Share{migrationShare}) {
			t.Errorf("shares: %+v, %v", list, err)
		}
	}},
	5: {write: func(*testing.T, *fixture) {}, check: func(t *testing.T, f *fixture) {
		if id, err := f.s.InstallationID(); err != nil || len(id) != 16 {
			t.Errorf("installation id %q, %v", id, err)
		}
	}},
}

var (
	migrationTime   = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	migrationLater  = migrationTime.Add(time.Hour)
	migrationGrants = []accounting.Grant{
		{User: "alice", Image: "img:1", Policy: accounting.Policy{AppLicense: "LIC", AllowHome: true, AllowView: true,
			Volume: accounting.Volume{Source: "/srv/data", Target: "/data", Mode: "ro"}, AllowStartupData: true}},
		{User: "alice", Image: "img:2"},
		{User: "bob", Image: "img:1", Policy: accounting.Policy{AllowView: true}},
	}
	migrationLogin = auth.Login{IDHash: "idhash", User: "alice", CSRF: "csrf", Created: migrationTime, LastSeen: migrationLater, Address: "127.0.0.1"}
	migrationAudit = audit.Entry{Time: migrationTime, Actor: "alice", Address: "127.0.0.1", Action: audit.SignIn, Target: "alice", Result: audit.ResultOK}
	migrationToken = auth.Token{ID: "tok1", User: "alice", Name: "laptop", Hash: "tokhash", Created: migrationTime, Expires: &migrationLater, LastUsed: &migrationTime}
	migrationShare = shares.Share{URLID: "0123456789abcdef0123456789abcdef", User: "bob", Mode: shares.View, Created: migrationTime, Expires: &migrationLater}
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// rawRecords is every key and value of the file, nested buckets included.
func rawRecords(t *testing.T, db *bolt.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(prefix string, b *bolt.Bucket) error
	walk = func(prefix string, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				return walk(prefix+string(k)+"/", b.Bucket(k))
			}
			out[prefix+string(k)] = string(v)
			return nil
		})
	}
	must(t, db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(string(name)+"/", b) })
	}))
	return out
}

// TestUpgradeFromEveryVersion writes a file of each earlier schema version
// (its buckets made by that version's migrations, its records written as
// that version wrote them), opens it with this build, and checks that it
// is at the current version, checks, keeps every record byte for byte, and
// reads every kind of record back.
func TestUpgradeFromEveryVersion(t *testing.T) {
	for v := uint64(1); v <= SchemaVersion; v++ {
		if _, ok := olderRecords[v]; !ok {
			t.Fatalf("schema version %d has no entry in olderRecords: say which records it adds", v)
		}
	}
	if len(olderRecords) != int(SchemaVersion) {
		t.Fatalf("olderRecords has %d entries for %d schema versions", len(olderRecords), SchemaVersion)
	}
	for from := uint64(0); from < SchemaVersion; from++ {
		t.Run(fmt.Sprintf("from version %d", from), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			db, err := bolt.Open(path, 0o600, nil)
			must(t, err)
			must(t, migrate(db, migrations[:from]))
			f := &fixture{s: &Store{db: db, now: func() time.Time { return migrationTime }}}
			for v := uint64(1); v <= from; v++ {
				olderRecords[v].write(t, f)
			}
			before := rawRecords(t, db)
			must(t, db.Close())

			if f.s, err = Open(path); err != nil {
				t.Fatal(err)
			}
			defer f.s.Close()
			var version uint64
			must(t, f.s.db.View(func(tx *bolt.Tx) (err error) { version, err = schemaVersion(tx); return err }))
			if version != SchemaVersion {
				t.Fatalf("after the upgrade: schema version %d, want %d", version, SchemaVersion)
			}
			if err := f.s.Check(t.Context()); err != nil {
				t.Fatalf("the upgraded file does not check: %v", err)
			}
			after := rawRecords(t, f.s.db)
			for k, v := range before {
				if k != "meta/schema_version" && after[k] != v {
					t.Errorf("record %s changed in the upgrade: %q, was %q", k, after[k], v)
				}
			}
			// Every record reads back; the kinds the old version did not
			// have can be written now.
			for v := from + 1; v <= SchemaVersion; v++ {
				olderRecords[v].write(t, f)
			}
			for v := uint64(1); v <= SchemaVersion; v++ {
				olderRecords[v].check(t, f)
			}
			if err := f.s.Check(t.Context()); err != nil {
				t.Errorf("after writing every kind of record: %v", err)
			}
		})
	}
}

// fixture is a store and the mapping ids of the grants written to it.
type fixture struct {
	s        *Store
	grantIDs []string
}
