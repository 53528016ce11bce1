package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/accounting/csvfile"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/appliance"
	"github.com/simphony/simphony-remote/engine/audit"
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
DATA_DIR/simphony-remote.db).

While the appliance runs, it holds that database: the commands then go through
its admin socket, DATA_DIR/admin.sock (which only its user and group may use),
also when --db names the file it holds (the socket next to it). Otherwise they
open the file themselves.

As with the original remoteappdb, the database may come first:
"db PATH user list" is "db --db PATH user list".`,
	}
	cmd.PersistentFlags().StringVar(&d.dbFlag, "db", "", "accounting database file (a .csv file opens the read-only CSV backend)")
	cmd.AddCommand(d.initCmd(), d.userCmd(), d.appCmd(), d.backupCmd(), d.restoreCmd(), d.importLegacyCmd(), d.auditCmd())
	return cmd
}

// location is where the accounting data lives and in which format.
type location struct {
	path string
	csv  bool
	cfg  *config.Loaded
	// socket is the running appliance's admin socket when commands go
	// through it; empty when they open the file.
	socket string
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

// appliance returns the admin socket of an appliance running on the
// configured data dir, or "" when there is none: --db names another file,
// or nobody listens on the socket (a stale socket file is ignored).
func (d *dbCmd) appliance(loc location) (string, error) {
	if d.dbFlag != "" && !sameFile(d.dbFlag, loc.cfg.AccountingPath()) {
		return "", nil
	}
	return dialable(filepath.Join(loc.cfg.DataDir, appliance.SocketName))
}

// open opens the accounting store at loc. When another process holds the
// file and an appliance answers on the admin socket next to it
// (DIR/admin.sock for DIR/simphony-remote.db, whatever the configuration
// says), it returns that socket instead, so that --db FILE works whether
// or not the appliance runs.
func (d *dbCmd) open(loc location) (accounting.Store, string, error) {
	store, err := openFile(loc)
	if !errors.Is(err, boltdb.ErrLocked) {
		return store, "", err
	}
	sock, derr := dialable(filepath.Join(filepath.Dir(loc.path), appliance.SocketName))
	switch {
	case derr != nil:
		return nil, "", derr
	case sock == "":
		return nil, "", fmt.Errorf("%w: no appliance answers on %s next to it; stop the program that holds it", err, appliance.SocketName)
	}
	return nil, sock, nil
}

// dialable returns sock when an appliance answers on it, "" when nobody
// does.
func dialable(sock string) (string, error) {
	conn, err := net.DialTimeout("unix", sock, 2*time.Second)
	switch {
	case err == nil:
		_ = conn.Close()
		return sock, nil
	case errors.Is(err, fs.ErrPermission):
		return "", fmt.Errorf("the appliance's admin socket %s: permission denied: run this as the appliance's user or a member of its group", sock)
	}
	return "", nil
}

// sameFile reports whether a and b name the same file.
func sameFile(a, b string) bool {
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(ia, ib)
	}
	aa, errA := filepath.Abs(a)
	ab, errB := filepath.Abs(b)
	return errA == nil && errB == nil && aa == ab
}

// connect returns the admin service for a command: the running appliance
// through its admin socket when it holds the database, else the database
// file opened here. closeFn releases it.
func (d *dbCmd) connect(cmd *cobra.Command) (svc admin.Service, loc location, closeFn func() error, err error) {
	loc, err = d.locate(cmd)
	if err != nil {
		return nil, loc, nil, err
	}
	if loc.socket, err = d.appliance(loc); err != nil {
		return nil, loc, nil, err
	}
	var store accounting.Store
	if loc.socket == "" {
		if store, loc.socket, err = d.open(loc); err != nil {
			return nil, loc, nil, err
		}
	}
	if loc.socket != "" {
		c := admin.DialSocket(loc.socket)
		return c, loc, func() error { c.CloseIdleConnections(); return nil }, nil
	}
	if _, ok := store.(*boltdb.Store); ok {
		cmd.SetContext(audit.WithActor(cmd.Context(), audit.CommandActor()))
	}
	off := admin.NewOffline(store, &loc.cfg.Config)
	return off, loc, func() error {
		return errors.Join(off.Close(), store.Close())
	}, nil
}

// openFile opens the accounting store at loc.
func openFile(loc location) (accounting.Store, error) {
	if loc.csv {
		s, err := csvfile.Open(loc.path)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := boltdb.Open(loc.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("no accounting database at %s: create one with 'simphony-remote db init' (or choose another with --db)", loc.path)
	case err != nil:
		return nil, err
	}
	return s, nil
}

// withService runs fn with the admin service and releases it.
func (d *dbCmd) withService(cmd *cobra.Command, fn func(svc admin.Service, loc location) error) error {
	svc, loc, closeFn, err := d.connect(cmd)
	if err != nil {
		return err
	}
	defer closeFn()
	return fn(svc, loc)
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
one read transaction (from the running appliance, if it holds the database)
and checked before it appears at FILE, which must not exist.`,
		Args: args("FILE"),
		RunE: func(cmd *cobra.Command, a []string) error {
			return d.withService(cmd, func(svc admin.Service, loc location) error {
				if loc.socket == "" && loc.csv {
					return fmt.Errorf("%s is a CSV file: copy the file itself to back it up", loc.path)
				}
				if err := admin.WriteBackup(cmd.Context(), svc, a[0]); err != nil {
					return err
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "backed up %s to %s\n", loc.path, a[0])
				return err
			})
		},
	}
}

func (d *dbCmd) restoreCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "restore FILE",
		Short: "Replace the database with a backup (the appliance stopped)",
		Long: `Replace the bbolt database with FILE, a copy written by 'db backup'. The
appliance must be stopped: 'sudo systemctl stop simphony-remote', or stop
'simphony-remote serve'. FILE is checked first (a bbolt file whose indexes
agree, of a schema version this simphony-remote knows; an older one is
upgraded at the next start). It is copied next to the database, synced and
renamed over it, so a failure leaves the database as it was; the database it
replaces is kept as DATABASE.before-restore-TIMESTAMP.`,
		Args: args("FILE"),
		RunE: func(cmd *cobra.Command, a []string) error {
			loc, err := d.locate(cmd)
			if err != nil {
				return err
			}
			if loc.csv {
				return fmt.Errorf("%s is a CSV file: the CSV backend is read-only and written by hand; restore replaces bbolt databases (copy the CSV file itself back)", loc.path)
			}
			stopFirst := func(why string) error {
				return fmt.Errorf("restoring %s: %s: stop it first ('sudo systemctl stop simphony-remote', or stop 'simphony-remote serve'), then restore; 'db backup' works while it runs", loc.path, why)
			}
			sock, err := d.appliance(loc)
			switch {
			case err != nil:
				return err
			case sock != "":
				return stopFirst("the appliance is running (it answers on " + sock + ")")
			}
			res, err := boltdb.Restore(cmd.Context(), a[0], loc.path)
			if errors.Is(err, boltdb.ErrLocked) {
				return stopFirst("another process holds the database (the appliance?)")
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if _, err := fmt.Fprintf(w, "restored %s from %s\n", loc.path, a[0]); err != nil {
				return err
			}
			if res.Version < boltdb.SchemaVersion {
				if _, err := fmt.Fprintf(w, "the backup has schema version %d: it is upgraded to version %d at the next start\n", res.Version, boltdb.SchemaVersion); err != nil {
					return err
				}
			}
			if res.KeptAs != "" {
				_, err = fmt.Fprintf(w, "the database it replaced is kept as %s\n", res.KeptAs)
			}
			return err
		},
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
