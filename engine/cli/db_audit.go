package cli

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/config"
)

func (d *dbCmd) auditCmd() *cobra.Command {
	var (
		limit  int
		before uint64
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "audit [--limit N] [--before ID] [--json]",
		Short: "Show the audit log: who changed what, signed in, started or shared a session",
		Long: `Show the audit log, newest first: every administrative change, sign-in (and
failed sign-in), and session start, stop and share, with who did it, when, from
where, and whether it worked.

--limit N entries are shown (default ` + fmt.Sprint(audit.DefaultLimit) + `, at most ` + fmt.Sprint(audit.MaxLimit) + `); when there are older
ones, the command to see them (--before ID) follows on standard error. --json
prints the admin API's answer: {"entries": [...], "next": ID or null}.

The log is kept in the appliance's bbolt database (also when the accounting is
a CSV file): through the admin socket while the appliance runs, else from the
file.`,
		Example: `  simphony-remote db audit
  simphony-remote db audit --limit 200 --json`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 {
				return usageError{fmt.Errorf("--limit %d: want 1 or more", limit)}
			}
			return d.withAudit(cmd, func(svc admin.Service) error {
				entries, next, err := svc.Audit(cmd.Context(), audit.Query{Before: before, Limit: limit})
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), wire.NewAuditPage(entries, next))
				}
				if err := printAudit(cmd.OutOrStdout(), entries); err != nil {
					return err
				}
				if next != 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "older entries: simphony-remote db audit --before %d\n", next)
				}
				return nil
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", audit.DefaultLimit, "how many entries to show")
	cmd.Flags().Uint64Var(&before, "before", 0, "show entries older than the one with this id")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// withAudit runs fn with a service that reads the audit log: the running
// appliance through its admin socket, else the bbolt file opened here. With
// a CSV accounting backend that is the appliance's state file in the data
// dir, where the appliance keeps its audit log.
func (d *dbCmd) withAudit(cmd *cobra.Command, fn func(svc admin.Service) error) error {
	loc, err := d.locate(cmd)
	if err != nil {
		return err
	}
	if loc.socket, err = d.appliance(loc); err != nil {
		return err
	}
	var store accounting.Store
	if loc.socket == "" {
		if loc.csv {
			if d.dbFlag != "" {
				return fmt.Errorf("%s is a CSV file: it keeps no audit log; the appliance keeps one in its bbolt database", loc.path)
			}
			loc = location{path: filepath.Join(loc.cfg.DataDir, config.DatabaseFile), cfg: loc.cfg}
		}
		if store, loc.socket, err = d.open(loc); err != nil {
			return err
		}
	}
	if loc.socket != "" {
		c := admin.DialSocket(loc.socket)
		defer c.CloseIdleConnections()
		return fn(c)
	}
	as, ok := store.(audit.Store)
	if !ok {
		_ = store.Close()
		return errors.New("the accounting store keeps no audit log")
	}
	err = fn(admin.NewLocal(store, admin.Options{Audit: as}))
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	return err
}

func printAudit(w io.Writer, entries []audit.Entry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTOR\tADDRESS\tACTION\tTARGET\tDETAIL\tRESULT")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339),
			cell(e.Actor), cell(e.Address), cell(e.Action), cell(e.Target), cell(e.Detail), cell(e.Result))
	}
	return tw.Flush()
}

// cell is a table cell: "-" when empty, and control characters (tabs,
// line breaks) escaped, so that no value can break the table or forge a
// line of it.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			fmt.Fprintf(&b, `\x%02x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
