package legacy

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" driver, pure Go

	"github.com/simphony/simphony-remote/engine/accounting"
)

// The original's tables and the columns read from each (its ORM,
// remoteappmanager/db/orm.py). application_policy.app_license and
// allow_startup_data (allow_srdata before it was renamed) came in later
// versions: absent, they read as no licence and false.
var requiredColumns = map[string][]string{
	"user":               {"id", "name"},
	"application":        {"id", "image"},
	"application_policy": {"id", "allow_home", "allow_common", "allow_view", "volume_source", "volume_target", "volume_mode"},
	"accounting":         {"id", "user_id", "application_id", "application_policy_id"},
}

// tables in the order they are checked and read.
var tables = []string{"user", "application", "application_policy", "accounting"}

// readSQLite reads the original's sqlite database at path, read-only.
func readSQLite(ctx context.Context, path string) (accounting.Batch, error) {
	b, err := readDB(ctx, path)
	if err != nil {
		return accounting.Batch{}, fmt.Errorf("reading the simphony-remote database %s: %w", path, err)
	}
	return b, nil
}

func readDB(ctx context.Context, path string) (accounting.Batch, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return accounting.Batch{}, err
	}
	dsn := (&url.URL{Scheme: "file", Path: abs, RawQuery: "mode=ro"}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return accounting.Batch{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil {
		return accounting.Batch{}, fmt.Errorf("the file is damaged: %w", err)
	}
	if check != "ok" {
		return accounting.Batch{}, fmt.Errorf("the file is damaged: sqlite's check says %q", check)
	}
	cols := map[string][]string{}
	for _, t := range tables {
		if cols[t], err = columnsOf(ctx, db, t); err != nil {
			return accounting.Batch{}, err
		}
		for _, c := range requiredColumns[t] {
			if slices.Contains(cols[t], c) {
				continue
			}
			if t == "accounting" && c == "id" {
				return accounting.Batch{}, fmt.Errorf("%w: table accounting has no id column, so its grants have no mapping ids (a database of simphony-remote before 0.9, which had none; write its grants to a CSV file in the original's columns and import that)", ErrUnknownFormat)
			}
			return accounting.Batch{}, fmt.Errorf("%w: table %s has no column %s (it has %s)", ErrUnknownFormat, t, c, strings.Join(cols[t], ", "))
		}
	}
	var b accounting.Batch
	if b.Users, err = names(ctx, db, "user", "name", accounting.ValidateUserName); err != nil {
		return b, err
	}
	if b.Applications, err = names(ctx, db, "application", "image", accounting.ValidateImage); err != nil {
		return b, err
	}
	b.Grants, err = grants(ctx, db, cols["application_policy"])
	return b, err
}

// columnsOf lists a table's columns; ErrUnknownFormat when there is no
// such table.
func columnsOf(ctx context.Context, db *sql.DB, table string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", table)
	if err != nil {
		return nil, fmt.Errorf("reading the columns of table %s: %w", table, err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("reading the columns of table %s: %w", table, err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the columns of table %s: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("%w: the sqlite database has no table %s (simphony-remote's has user, application, application_policy and accounting)", ErrUnknownFormat, table)
	}
	return cols, nil
}

// names reads the name column of every row of table, each checked by
// valid.
func names(ctx context.Context, db *sql.DB, table, col string, valid func(string) error) ([]string, error) {
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT id, %q FROM %q ORDER BY id`, col, table))
	if err != nil {
		return nil, fmt.Errorf("reading table %s: %w", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		var name sql.NullString
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("reading table %s: %w", table, err)
		}
		if !name.Valid {
			return nil, fmt.Errorf("table %s, id %d: %s is NULL", table, id, col)
		}
		if err := valid(name.String); err != nil {
			return nil, fmt.Errorf("table %s, id %d: %w", table, id, err)
		}
		out = append(out, name.String)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading table %s: %w", table, err)
	}
	return out, nil
}

// grants reads every row of accounting with its user, application and
// policy; policyCols are application_policy's columns.
func grants(ctx context.Context, db *sql.DB, policyCols []string) ([]accounting.Grant, error) {
	optional := func(col string) string {
		if slices.Contains(policyCols, col) {
			return "p." + col
		}
		return "NULL"
	}
	startup := optional("allow_startup_data")
	if startup == "NULL" {
		startup = optional("allow_srdata")
	}
	q := `SELECT a.id, a.user_id, a.application_id, a.application_policy_id,
		u.name, app.image, p.id, ` + optional("app_license") + `, p.allow_home, p.allow_common, p.allow_view,
		p.volume_source, p.volume_target, p.volume_mode, ` + startup + `
		FROM accounting a
		LEFT JOIN "user" u ON u.id = a.user_id
		LEFT JOIN application app ON app.id = a.application_id
		LEFT JOIN application_policy p ON p.id = a.application_policy_id
		ORDER BY a.id`
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("reading table accounting: %w", err)
	}
	defer rows.Close()
	var out []accounting.Grant
	for rows.Next() {
		var r grantRow
		if err := rows.Scan(&r.id, &r.userID, &r.appID, &r.policyID, &r.user, &r.image, &r.pid, &r.license,
			&r.home, &r.common, &r.view, &r.src, &r.tgt, &r.mode, &r.startup); err != nil {
			return nil, fmt.Errorf("reading table accounting: %w", err)
		}
		g, err := r.grant()
		if err != nil {
			return nil, fmt.Errorf("table accounting, id %s: %w", r.id.String, err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading table accounting: %w", err)
	}
	return out, nil
}

// grantRow is one row of accounting joined with its user, application
// and policy; NULL where a reference leads nowhere.
type grantRow struct {
	id                      sql.NullString
	userID, appID, policyID any
	user, image             sql.NullString
	pid                     sql.NullInt64
	license                 sql.NullString
	home, common, view      any
	src, tgt, mode          sql.NullString
	startup                 any
}

func (r grantRow) grant() (accounting.Grant, error) {
	switch {
	case !r.id.Valid || !accounting.IsMappingID(r.id.String):
		return accounting.Grant{}, fmt.Errorf("the mapping id %q is not 32 lowercase hexadecimal digits", r.id.String)
	case !r.user.Valid:
		return accounting.Grant{}, fmt.Errorf("user_id %v names no row of table user", r.userID)
	case !r.image.Valid:
		return accounting.Grant{}, fmt.Errorf("application_id %v names no row of table application", r.appID)
	case !r.pid.Valid:
		return accounting.Grant{}, fmt.Errorf("application_policy_id %v names no row of table application_policy", r.policyID)
	}
	var p accounting.Policy
	p.AppLicense = r.license.String
	var common bool
	for _, f := range []struct {
		col string
		v   any
		dst *bool
	}{{"allow_home", r.home, &p.AllowHome}, {"allow_common", r.common, &common}, {"allow_view", r.view, &p.AllowView},
		{"allow_startup_data", r.startup, &p.AllowStartupData}} {
		b, err := boolean(f.v)
		if err != nil {
			return accounting.Grant{}, fmt.Errorf("application_policy id %d: %s: %w", r.pid.Int64, f.col, err)
		}
		*f.dst = b
	}
	// The original mounted a volume only with allow_common, and set
	// allow_common exactly when the grant had one.
	if common {
		if !r.src.Valid || !r.tgt.Valid || !r.mode.Valid {
			return accounting.Grant{}, fmt.Errorf("application_policy id %d: allow_common is 1 but volume_source, volume_target or volume_mode is NULL", r.pid.Int64)
		}
		p.Volume = accounting.Volume{Source: r.src.String, Target: r.tgt.String, Mode: r.mode.String}
	}
	if err := p.Validate(); err != nil {
		return accounting.Grant{}, fmt.Errorf("application_policy id %d: %w", r.pid.Int64, err)
	}
	return accounting.Grant{MappingID: r.id.String, User: r.user.String, Image: r.image.String, Policy: p.Canonical()}, nil
}

// boolean reads a SQLAlchemy Boolean column: 0 or 1, NULL for false.
func boolean(v any) (bool, error) {
	switch v := v.(type) {
	case nil:
		return false, nil
	case int64:
		switch v {
		case 0:
			return false, nil
		case 1:
			return true, nil
		}
	case bool:
		return v, nil
	}
	return false, fmt.Errorf("%v is not 0 or 1", v)
}
