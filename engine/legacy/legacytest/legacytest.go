// Package legacytest writes accounting databases as the original
// simphony-remote wrote them, for tests of the import.
package legacytest

import (
	"database/sql"
	"net/url"
	"testing"

	_ "modernc.org/sqlite" // the "sqlite" driver, pure Go
)

// Schema is the original's accounting database as SQLAlchemy's create_all
// writes it for sqlite from remoteappmanager/db/orm.py (simphony-remote 2.x,
// after allow_srdata became allow_startup_data): Boolean columns are
// BOOLEAN with a CHECK for 0 and 1, the Enum volume_mode is VARCHAR(2)
// with a CHECK, the accounting id (the mapping id) is VARCHAR(32).
const Schema = `
CREATE TABLE user (
	id INTEGER NOT NULL, 
	name VARCHAR, 
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_user_name ON user (name);
CREATE TABLE application (
	id INTEGER NOT NULL, 
	image VARCHAR, 
	PRIMARY KEY (id), 
	UNIQUE (image)
);
CREATE TABLE application_policy (
	id INTEGER NOT NULL, 
	app_license VARCHAR, 
	allow_home BOOLEAN, 
	allow_common BOOLEAN, 
	allow_view BOOLEAN, 
	volume_source VARCHAR, 
	volume_target VARCHAR, 
	volume_mode VARCHAR(2), 
	allow_startup_data BOOLEAN, 
	PRIMARY KEY (id), 
	CHECK (allow_home IN (0, 1)), 
	CHECK (allow_common IN (0, 1)), 
	CHECK (allow_view IN (0, 1)), 
	CHECK (volume_mode IN ('ro', 'rw')), 
	CHECK (allow_startup_data IN (0, 1))
);
CREATE TABLE accounting (
	id VARCHAR(32) NOT NULL, 
	user_id INTEGER, 
	application_id INTEGER, 
	application_policy_id INTEGER, 
	PRIMARY KEY (id), 
	UNIQUE (user_id, application_id, application_policy_id), 
	FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE CASCADE, 
	FOREIGN KEY(application_id) REFERENCES application (id) ON DELETE CASCADE, 
	FOREIGN KEY(application_policy_id) REFERENCES application_policy (id) ON DELETE CASCADE
);
`

// SchemaV1 is the schema of simphony-remote 0.9 to 2.0: no app_license,
// no allow_startup_data.
const SchemaV1 = `
CREATE TABLE user (id INTEGER NOT NULL, name VARCHAR, PRIMARY KEY (id));
CREATE UNIQUE INDEX ix_user_name ON user (name);
CREATE TABLE application (id INTEGER NOT NULL, image VARCHAR, PRIMARY KEY (id), UNIQUE (image));
CREATE TABLE application_policy (
	id INTEGER NOT NULL, allow_home BOOLEAN, allow_common BOOLEAN, allow_view BOOLEAN,
	volume_source VARCHAR, volume_target VARCHAR, volume_mode VARCHAR(2), PRIMARY KEY (id),
	CHECK (allow_home IN (0, 1)), CHECK (allow_common IN (0, 1)), CHECK (allow_view IN (0, 1)),
	CHECK (volume_mode IN ('ro', 'rw')));
CREATE TABLE accounting (
	id VARCHAR(32) NOT NULL, user_id INTEGER, application_id INTEGER, application_policy_id INTEGER,
	PRIMARY KEY (id), UNIQUE (user_id, application_id, application_policy_id),
	FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE CASCADE,
	FOREIGN KEY(application_id) REFERENCES application (id) ON DELETE CASCADE,
	FOREIGN KEY(application_policy_id) REFERENCES application_policy (id) ON DELETE CASCADE);
`

// Open opens (creating it) the sqlite database at path.
func Open(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: path}).String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// Exec runs each statement with its arguments on the database at path.
func Exec(tb testing.TB, path string, stmts ...Stmt) {
	tb.Helper()
	db := Open(tb, path)
	for _, s := range stmts {
		if _, err := db.Exec(s.SQL, s.Args...); err != nil {
			tb.Fatalf("%s %v: %v", s.SQL, s.Args, err)
		}
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
}

// Stmt is one SQL statement with its arguments.
type Stmt struct {
	SQL  string
	Args []any
}

// S makes a Stmt.
func S(sql string, args ...any) Stmt { return Stmt{sql, args} }

// Grant is a grant in the original's terms: the ORM's grant_access stores
// a user, an application, a policy row (allow_common set exactly when a
// volume is given) and the accounting row whose id is uuid4().hex.
type Grant struct {
	MappingID  string
	User       string
	Image      string
	AppLicense any // nil: NULL, as the ORM stores no licence
	AllowHome  bool
	AllowView  bool
	// Volume is "" or SOURCE:TARGET:MODE split in three.
	VolumeSource, VolumeTarget, VolumeMode string
	AllowStartupData                       bool
}

// Inserts are the statements with which the original's ORM records the
// users, the applications and the grants, on Schema: booleans as 0 or 1,
// NULL for an absent licence or volume, one policy row per distinct
// policy.
func Inserts(users, images []string, grants []Grant) []Stmt {
	var out []Stmt
	userID, appID := map[string]int{}, map[string]int{}
	for i, u := range users {
		userID[u] = i + 1
		out = append(out, S(`INSERT INTO user (id, name) VALUES (?, ?)`, i+1, u))
	}
	for i, a := range images {
		appID[a] = i + 1
		out = append(out, S(`INSERT INTO application (id, image) VALUES (?, ?)`, i+1, a))
	}
	for i, g := range grants {
		var src, tgt, mode any
		common := 0
		if g.VolumeSource != "" {
			src, tgt, mode, common = g.VolumeSource, g.VolumeTarget, g.VolumeMode, 1
		}
		out = append(out,
			S(`INSERT INTO application_policy (id, app_license, allow_home, allow_common, allow_view, volume_source, volume_target, volume_mode, allow_startup_data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				i+1, g.AppLicense, b(g.AllowHome), common, b(g.AllowView), src, tgt, mode, b(g.AllowStartupData)),
			S(`INSERT INTO accounting (id, user_id, application_id, application_policy_id) VALUES (?, ?, ?, ?)`,
				g.MappingID, userID[g.User], appID[g.Image], i+1))
	}
	return out
}

func b(v bool) int {
	if v {
		return 1
	}
	return 0
}
