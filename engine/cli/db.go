package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/accounting/csvfile"
	"github.com/simphony/simphony-remote/engine/config"
)

// dbCmd is the state shared by the `db` subcommands.
type dbCmd struct {
	env    *env
	dbFlag string
}

func newDB(e *env) *cobra.Command {
	d := &dbCmd{env: e}
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage users, applications and grants in the accounting database",
		Long: `Manage the accounting database: users, applications (Docker images) and the
grants that let a user run an application with a policy.

The database is --db FILE if given (a path ending in .csv opens simphony-remote's
CSV format, read-only), else the configuration's accounting file (by default
DATA_DIR/simphony-remote.db).`,
	}
	cmd.PersistentFlags().StringVar(&d.dbFlag, "db", "", "accounting database file (a .csv file opens the read-only CSV backend)")
	cmd.AddCommand(d.initCmd(), d.userCmd(), d.appCmd(), d.backupCmd())
	return cmd
}

// location is where the accounting data lives and in which format.
type location struct {
	path string
	csv  bool
	cfg  *config.Loaded
}

func (d *dbCmd) locate(cmd *cobra.Command) (location, error) {
	cfg, err := loadConfig(cmd, d.env)
	if err != nil {
		return location{}, err
	}
	if d.dbFlag != "" {
		return location{path: d.dbFlag, csv: strings.HasSuffix(strings.ToLower(d.dbFlag), ".csv"), cfg: cfg}, nil
	}
	return location{path: cfg.AccountingPath(), csv: cfg.Accounting.Backend == "csv", cfg: cfg}, nil
}

// open opens the accounting store for a command.
//
// This is the seam for the running appliance: when it holds the database,
// commands will go through its admin socket instead of the file.
func (d *dbCmd) open(cmd *cobra.Command) (accounting.Store, location, error) {
	loc, err := d.locate(cmd)
	if err != nil {
		return nil, loc, err
	}
	if loc.csv {
		s, err := csvfile.Open(loc.path)
		return s, loc, err
	}
	s, err := boltdb.Open(loc.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, loc, fmt.Errorf("no accounting database at %s: create one with 'simphony-remote db init' (or choose another with --db)", loc.path)
	case errors.Is(err, boltdb.ErrLocked):
		return nil, loc, fmt.Errorf("%w: is the appliance running on it? Stop it first", err)
	}
	return s, loc, err
}

// withStore runs fn with an open store and closes it.
func (d *dbCmd) withStore(cmd *cobra.Command, fn func(s accounting.Store, loc location) error) error {
	s, loc, err := d.open(cmd)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s, loc)
}

func (d *dbCmd) initCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Create a new, empty accounting database (never overwrites one)",
		Args:  args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			loc, err := d.locate(cmd)
			if err != nil {
				return err
			}
			if loc.csv {
				return fmt.Errorf("%s is a CSV file: the CSV backend is read-only and written by hand; init creates bbolt databases", loc.path)
			}
			if dir := filepath.Dir(loc.path); dir != "" {
				if err := os.MkdirAll(dir, 0o750); err != nil {
					return fmt.Errorf("creating the database's directory: %w", err)
				}
			}
			s, err := boltdb.Init(loc.path)
			if err != nil {
				return err
			}
			if err := s.Close(); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "created accounting database %s\n", loc.path)
			return err
		},
	}
}

func (d *dbCmd) backupCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the database to FILE (never overwrites)",
		Long: `Write a consistent copy of the bbolt database to FILE. The copy is taken in
one read transaction and checked before it appears at FILE, which must not exist.`,
		Args: args("FILE"),
		RunE: func(cmd *cobra.Command, a []string) error {
			return d.withStore(cmd, func(s accounting.Store, loc location) error {
				bs, ok := s.(*boltdb.Store)
				if !ok {
					return fmt.Errorf("%s is a CSV file: copy the file itself to back it up", loc.path)
				}
				if err := bs.Backup(cmd.Context(), a[0]); err != nil {
					return err
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "backed up %s to %s\n", loc.path, a[0])
				return err
			})
		},
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
