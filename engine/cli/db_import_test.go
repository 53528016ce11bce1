package cli_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	lt "github.com/simphony/simphony-remote/engine/legacy/legacytest"
)

// Mapping ids as the original made them: uuid.uuid4().hex.
const (
	legacyID1 = "3f2c7d5e0a8b4c1d9e6f7a8b9c0d1e2f"
	legacyID2 = "8a1b2c3d4e5f40718293a4b5c6d7e8f9"
)

// legacyDB writes an accounting database as the original's ORM wrote it.
func legacyDB(t *testing.T, dir string, grants ...lt.Grant) string {
	t.Helper()
	path := filepath.Join(dir, "remoteappmanager.db")
	lt.Exec(t, path, append([]lt.Stmt{lt.S(lt.Schema)}, lt.Inserts([]string{"alice", "bob"}, []string{"simphonyproject/paraview", "unused/app"}, grants)...)...)
	return path
}

var legacyGrants = []lt.Grant{
	{MappingID: legacyID1, User: "alice", Image: "simphonyproject/paraview", AllowHome: true, AllowView: true},
	{MappingID: legacyID2, User: "bob", Image: "simphonyproject/paraview", AppLicense: "LIC-1", AllowStartupData: true},
}

// grantIDs maps "user image" to the mapping ids `user list` shows.
func grantIDs(users []listedUser) map[string][]string {
	out := map[string][]string{}
	for _, u := range users {
		if u.Applications == nil {
			continue
		}
		for _, a := range *u.Applications {
			out[u.Name+" "+a.Image] = append(out[u.Name+" "+a.Image], a.MappingID)
		}
	}
	return out
}

func TestImportLegacy(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(c.dir, "x.db")
	c.ok("db", "--db", db, "init")
	file := legacyDB(t, c.dir, legacyGrants...)

	out := c.ok("db", "--db", db, "import-legacy", "--dry-run", file)
	for _, w := range []string{"would add user alice\n", "would add application unused/app\n",
		"would add grant " + legacyID1 + ": simphonyproject/paraview to alice (allow_home, allow_view)\n",
		"dry run, nothing changed: would import " + file + " (sqlite database): 2 user(s), 2 application(s), 2 grant(s)"} {
		if !strings.Contains(out, w) {
			t.Errorf("dry run printed\n%s\nwithout %q", out, w)
		}
	}
	if users := c.users(db); len(users) != 0 {
		t.Fatalf("the dry run added users: %+v", users)
	}

	out = c.ok("db", "--db", db, "import-legacy", file)
	if !strings.Contains(out, "add grant "+legacyID2+": simphonyproject/paraview to bob (allow_startup_data, app_license set)\n") {
		t.Errorf("import printed\n%s", out)
	}
	ids := grantIDs(c.users(db))
	want := map[string][]string{"alice simphonyproject/paraview": {legacyID1}, "bob simphonyproject/paraview": {legacyID2}}
	if len(ids) != len(want) || !slices.Equal(ids["alice simphonyproject/paraview"], want["alice simphonyproject/paraview"]) ||
		!slices.Equal(ids["bob simphonyproject/paraview"], want["bob simphonyproject/paraview"]) {
		t.Errorf("mapping ids after the import %v, want the original's %v", ids, want)
	}
	if out := c.ok("db", "--db", db, "app", "list"); !strings.Contains(out, "unused/app") {
		t.Errorf("app list after the import:\n%s", out)
	}

	// Again: all there already.
	out = c.ok("db", "--db", db, "import-legacy", file)
	if !strings.Contains(out, "0 user(s), 0 application(s), 0 grant(s); 6 record(s) already there; 0 conflict(s)") {
		t.Errorf("importing again printed\n%s", out)
	}

	// Another file gives alice's mapping id to another grant, and has bob's
	// grant under another id: both reported, neither written.
	other := t.TempDir()
	clash := legacyDB(t, other,
		lt.Grant{MappingID: legacyID1, User: "bob", Image: "simphonyproject/paraview"},
		lt.Grant{MappingID: strings.Repeat("a", 32), User: "bob", Image: "simphonyproject/paraview", AppLicense: "LIC-1", AllowStartupData: true},
		lt.Grant{MappingID: strings.Repeat("b", 32), User: "alice", Image: "unused/app"})
	r := c.run("db", "--db", db, "import-legacy", clash)
	if r.code != 1 || !strings.Contains(r.stderr, "2 conflicting record(s) were left out (listed above); nothing in the database was overwritten") {
		t.Fatalf("import with conflicts: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	for _, w := range []string{
		"conflict: grant " + legacyID1 + " of simphonyproject/paraview to bob (plain policy): the mapping id is taken by the grant of simphonyproject/paraview to alice (allow_home, allow_view)\n",
		"conflict: grant " + strings.Repeat("a", 32) + " of simphonyproject/paraview to bob (allow_startup_data, app_license set): the appliance has the same grant as mapping id " + legacyID2 + "; the original's id is not kept\n",
		"add grant " + strings.Repeat("b", 32) + ": unused/app to alice (plain policy)\n",
	} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("import with conflicts printed\n%s\nwithout %q", r.stdout, w)
		}
	}
	ids = grantIDs(c.users(db))
	if !slices.Equal(ids["alice simphonyproject/paraview"], []string{legacyID1}) || !slices.Equal(ids["bob simphonyproject/paraview"], []string{legacyID2}) ||
		!slices.Equal(ids["alice unused/app"], []string{strings.Repeat("b", 32)}) {
		t.Errorf("mapping ids after the import with conflicts: %v", ids)
	}
}

// TestImportLegacyCSV: the CSV file's grants keep the mapping ids the
// appliance's CSV backend gave them.
func TestImportLegacyCSV(t *testing.T) {
	c := newCLI(t)
	csv := filepath.Join(c.dir, "accounting.csv")
	if err := os.WriteFile(csv, []byte("user.name,application.image,policy.app_license,policy.allow_home,policy.allow_view,policy.allow_common,policy.volume_source,policy.volume_target,policy.volume_mode,policy.allow_startup_data\n"+
		"alice,simphonyproject/paraview,,1,0,0,,,,0\nbob,simphonyproject/paraview,,0,1,0,,,,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	served := grantIDs(c.users(csv))
	db := filepath.Join(c.dir, "x.db")
	c.ok("db", "--db", db, "init")
	out := c.ok("db", "--db", db, "import-legacy", csv)
	if !strings.Contains(out, "(CSV file): 2 user(s), 1 application(s), 2 grant(s)") {
		t.Errorf("import printed\n%s", out)
	}
	imported := grantIDs(c.users(db))
	if len(served) != 2 || len(imported) != 2 {
		t.Fatalf("served %v, imported %v", served, imported)
	}
	for k, ids := range served {
		if !slices.Equal(imported[k], ids) {
			t.Errorf("%s: imported mapping ids %v, the CSV backend served %v", k, imported[k], ids)
		}
	}
}

// TestImportLegacyBadFiles: a damaged database and a bad CSV row are
// named, and nothing is imported.
func TestImportLegacyBadFiles(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(c.dir, "x.db")
	c.ok("db", "--db", db, "init")
	good, err := os.ReadFile(legacyDB(t, t.TempDir(), legacyGrants...))
	if err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(c.dir, "damaged.db")
	for i := 4096; i < len(good); i++ {
		good[i] = 0x5a
	}
	if err := os.WriteFile(damaged, good, 0o600); err != nil {
		t.Fatal(err)
	}
	c.fails(1, []string{"reading the simphony-remote database " + damaged, "the file is damaged"}, "db", "--db", db, "import-legacy", damaged)

	bad := filepath.Join(c.dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("user.name,application.image,policy.allow_view\nalice,img,1\nbob,img,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.fails(1, []string{"bad.csv line 3", `column policy.allow_view: value "2" is not 1 or 0`}, "db", "--db", db, "import-legacy", bad)
	c.fails(2, []string{"expects FILE"}, "db", "--db", db, "import-legacy")
	if users := c.users(db); len(users) != 0 {
		t.Errorf("failed imports added users: %+v", users)
	}
}

// TestImportLegacyThroughSocket: while the appliance runs, the import goes
// through its admin socket into the database it holds.
func TestImportLegacyThroughSocket(t *testing.T) {
	c := newCLI(t)
	data := shortDir(t)
	c.env = []string{"SIMPHONY_REMOTE_DATA_DIR=" + data}
	c.ok("db", "init")
	file := legacyDB(t, t.TempDir(), legacyGrants...)
	a := startAppliance(t, data)

	c.ok("db", "import-legacy", "--dry-run", file)
	if _, err := a.store.GrantByID(t.Context(), legacyID1); err == nil {
		t.Fatal("the dry run through the socket imported a grant")
	}
	out := c.ok("db", "import-legacy", file)
	if !strings.Contains(out, "imported "+file+" (sqlite database): 2 user(s), 2 application(s), 2 grant(s)") {
		t.Errorf("import printed\n%s", out)
	}
	for _, id := range []string{legacyID1, legacyID2} {
		g, err := a.store.GrantByID(t.Context(), id)
		if err != nil || !strings.HasPrefix(g.Image, "simphonyproject/paraview") {
			t.Errorf("the appliance's grant %s: %+v, %v", id, g, err)
		}
	}
	r := c.run("db", "import-legacy", "--json", legacyDB(t, t.TempDir(), lt.Grant{MappingID: legacyID1, User: "bob", Image: "unused/app"}))
	if r.code != 1 || !strings.Contains(r.stdout, `"conflicts": [`) || !strings.Contains(r.stdout, "the mapping id is taken by the grant of simphonyproject/paraview to alice") {
		t.Errorf("a conflict through the socket: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}
