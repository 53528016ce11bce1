package legacy_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/csvfile"
	"github.com/simphony/simphony-remote/engine/legacy"
	lt "github.com/simphony/simphony-remote/engine/legacy/legacytest"
)

// Mapping ids as the original made them: uuid.uuid4().hex.
const (
	id1 = "3f2c7d5e0a8b4c1d9e6f7a8b9c0d1e2f"
	id2 = "8a1b2c3d4e5f40718293a4b5c6d7e8f9"
	id3 = "c0ffee00c0ffee00c0ffee00c0ffee00"
)

var sample = []lt.Grant{
	{MappingID: id1, User: "alice", Image: "simphonyproject/simphony-mayavi:0.6.0", AllowHome: true, AllowView: true},
	{MappingID: id2, User: "alice", Image: "simphonyproject/paraview", AppLicense: "LIC-42",
		VolumeSource: "/srv/data", VolumeTarget: "/data/", VolumeMode: "ro", AllowStartupData: true},
	{MappingID: id3, User: "bob", Image: "simphonyproject/paraview"},
}

func writeDB(t *testing.T, schema string, stmts ...lt.Stmt) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "remoteappmanager.db")
	lt.Exec(t, path, append([]lt.Stmt{lt.S(schema)}, stmts...)...)
	return path
}

func TestReadSQLite(t *testing.T) {
	path := writeDB(t, lt.Schema, lt.Inserts([]string{"alice", "bob", "carol"},
		[]string{"simphonyproject/simphony-mayavi:0.6.0", "simphonyproject/paraview", "unused/app"}, sample)...)
	b, format, err := legacy.Read(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if format != legacy.SQLite {
		t.Errorf("format %q, want %q", format, legacy.SQLite)
	}
	if want := []string{"alice", "bob", "carol"}; !slices.Equal(b.Users, want) {
		t.Errorf("users %v, want %v", b.Users, want)
	}
	if want := []string{"simphonyproject/simphony-mayavi:0.6.0", "simphonyproject/paraview", "unused/app"}; !slices.Equal(b.Applications, want) {
		t.Errorf("applications %v, want %v", b.Applications, want)
	}
	want := []accounting.Grant{
		{MappingID: id1, User: "alice", Image: "simphonyproject/simphony-mayavi:0.6.0", Policy: accounting.Policy{AllowHome: true, AllowView: true}},
		{MappingID: id2, User: "alice", Image: "simphonyproject/paraview", Policy: accounting.Policy{AppLicense: "LIC-42",
			Volume: accounting.Volume{Source: "/srv/data", Target: "/data", Mode: "ro"}, AllowStartupData: true}},
		{MappingID: id3, User: "bob", Image: "simphonyproject/paraview"},
	}
	if !slices.Equal(b.Grants, want) {
		t.Errorf("grants\n%+v\nwant\n%+v", b.Grants, want)
	}
}

// TestReadSQLiteOlderSchemas: 0.9 to 2.0 had neither app_license nor
// allow_startup_data; for a while the latter was allow_srdata.
func TestReadSQLiteOlderSchemas(t *testing.T) {
	users := lt.S(`INSERT INTO user (id, name) VALUES (1, 'alice')`)
	app := lt.S(`INSERT INTO application (id, image) VALUES (1, 'img')`)
	grant := lt.S(`INSERT INTO accounting (id, user_id, application_id, application_policy_id) VALUES (?, 1, 1, 1)`, id1)

	t.Run("v1", func(t *testing.T) {
		path := writeDB(t, lt.SchemaV1, users, app,
			lt.S(`INSERT INTO application_policy (id, allow_home, allow_common, allow_view) VALUES (1, 1, 0, 0)`), grant)
		b, _, err := legacy.Read(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		want := []accounting.Grant{{MappingID: id1, User: "alice", Image: "img", Policy: accounting.Policy{AllowHome: true}}}
		if !slices.Equal(b.Grants, want) {
			t.Errorf("grants %+v, want %+v", b.Grants, want)
		}
	})
	t.Run("allow_srdata", func(t *testing.T) {
		path := writeDB(t, lt.SchemaV1+`ALTER TABLE application_policy ADD COLUMN app_license VARCHAR;
			ALTER TABLE application_policy ADD COLUMN allow_srdata BOOLEAN;`, users, app,
			lt.S(`INSERT INTO application_policy (id, allow_home, allow_common, allow_view, allow_srdata) VALUES (1, 0, 0, 0, 1)`), grant)
		b, _, err := legacy.Read(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Grants) != 1 || !b.Grants[0].Policy.AllowStartupData {
			t.Errorf("grants %+v, want one with allow_startup_data", b.Grants)
		}
	})
}

// TestReadBadFiles: every file that is not an accounting the import can
// trust gets an error naming the problem.
func TestReadBadFiles(t *testing.T) {
	dir := t.TempDir()
	file := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := writeDB(t, lt.Schema, lt.Inserts([]string{"alice", "bob"}, []string{"simphonyproject/simphony-mayavi:0.6.0", "simphonyproject/paraview"}, sample)...)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	// Damage every page after the first, which holds the header and the
	// schema: sqlite then finds the tables but not their content.
	damaged := slices.Clone(data)
	for i := 4096; i < len(damaged); i++ {
		damaged[i] = 0xa5
	}
	if len(data) <= 4096 {
		t.Fatalf("the database is %d bytes, one page: nothing to damage", len(data))
	}
	truncated := data[:len(data)/2]

	tests := []struct {
		name  string
		path  string
		wants []string
	}{
		{"damaged", file("damaged.db", damaged), []string{"damaged.db", "damaged"}},
		{"truncated", file("truncated.db", truncated), []string{"truncated.db"}},
		{"binary", file("x.bin", []byte("\x00\x01\x02bolt")), []string{"x.bin", "not a simphony-remote accounting file", "binary"}},
		{"other sqlite", writeDB(t, `CREATE TABLE users (id INTEGER, name TEXT)`), []string{"has no table user"}},
		{"pre-0.9", writeDB(t, `CREATE TABLE user (id INTEGER NOT NULL, name VARCHAR, PRIMARY KEY (id));
			CREATE TABLE application (id INTEGER NOT NULL, image VARCHAR, PRIMARY KEY (id));
			CREATE TABLE application_policy (id INTEGER NOT NULL, allow_home BOOLEAN, allow_common BOOLEAN, allow_view BOOLEAN,
				volume_source VARCHAR, volume_target VARCHAR, volume_mode VARCHAR(2), PRIMARY KEY (id));
			CREATE TABLE accounting (user_id INTEGER NOT NULL, application_id INTEGER NOT NULL, application_policy_id INTEGER NOT NULL,
				PRIMARY KEY (user_id, application_id, application_policy_id))`), []string{"accounting has no id column", "before 0.9"}},
		{"dangling user", writeDB(t, lt.Schema, append(lt.Inserts(nil, []string{"img"}, nil),
			lt.S(`INSERT INTO application_policy (id, allow_home, allow_common, allow_view, allow_startup_data) VALUES (1, 0, 0, 0, 0)`),
			lt.S(`INSERT INTO accounting VALUES (?, 7, 1, 1)`, id1))...), []string{"table accounting, id " + id1, "user_id 7 names no row of table user"}},
		{"bad mapping id", writeDB(t, lt.Schema, lt.Inserts([]string{"alice"}, []string{"img"},
			[]lt.Grant{{MappingID: "not-a-uuid", User: "alice", Image: "img"}})...), []string{`mapping id "not-a-uuid"`}},
		{"bad user name", writeDB(t, lt.Schema, lt.Inserts([]string{"Alice Smith"}, nil, nil)...), []string{"table user, id 1", `invalid user name "Alice Smith"`}},
		{"volume without paths", writeDB(t, lt.Schema, append(lt.Inserts([]string{"alice"}, []string{"img"}, nil),
			lt.S(`INSERT INTO application_policy (id, allow_home, allow_common, allow_view, allow_startup_data) VALUES (1, 0, 1, 0, 0)`),
			lt.S(`INSERT INTO accounting VALUES (?, 1, 1, 1)`, id1))...), []string{"application_policy id 1", "allow_common is 1 but"}},
		{"csv bad row", file("bad.csv", []byte("user.name,application.image,policy.allow_home\nalice,img,1\nbob,img,yes\n")),
			[]string{"bad.csv line 3", `value "yes" is not 1 or 0`}},
		{"csv no header", file("nohdr.csv", []byte("alice,img\n")), []string{"nohdr.csv line 1", "lacks the required column"}},
		{"missing", filepath.Join(dir, "nothing.db"), []string{"nothing.db", "no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _, err := legacy.Read(t.Context(), tt.path)
			if err == nil {
				t.Fatalf("Read succeeded with %+v, want an error", b)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if _, _, err := legacy.Read(t.Context(), filepath.Join(dir, "x.bin")); !errors.Is(err, legacy.ErrUnknownFormat) {
		t.Errorf("a binary file: %v, want ErrUnknownFormat", err)
	}
}

// TestReadCSV: the original's CSV columns; the mapping ids are those the
// appliance's CSV backend serves for the same file.
func TestReadCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accounting.csv")
	csv := "user.name,application.image,policy.app_license,policy.allow_home,policy.allow_view,policy.allow_common,policy.volume_source,policy.volume_target,policy.volume_mode,policy.allow_startup_data\n" +
		"alice,simphonyproject/paraview,,1,0,1,/srv/data,/data,ro,0\n" +
		"bob,simphonyproject/paraview,LIC,0,1,0,,,,1\n"
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	b, format, err := legacy.Read(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if format != legacy.CSV || !slices.Equal(b.Users, []string{"alice", "bob"}) || !slices.Equal(b.Applications, []string{"simphonyproject/paraview"}) {
		t.Errorf("format %q, users %v, applications %v", format, b.Users, b.Applications)
	}
	s, err := csvfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var served []accounting.Grant
	for _, u := range []string{"alice", "bob"} {
		gs, err := s.Grants(t.Context(), u)
		if err != nil {
			t.Fatal(err)
		}
		served = append(served, gs...)
	}
	if len(served) != 2 || !slices.Equal(b.Grants, served) {
		t.Errorf("grants\n%+v\nthe CSV backend serves\n%+v", b.Grants, served)
	}
	if b.Grants[0].Policy.Volume != (accounting.Volume{Source: "/srv/data", Target: "/data", Mode: "ro"}) || b.Grants[1].Policy.AppLicense != "LIC" {
		t.Errorf("policies %+v", b.Grants)
	}
}
