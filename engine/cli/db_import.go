package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/legacy"
)

func (d *dbCmd) importLegacyCmd() *cobra.Command {
	var dryRun, asJSON bool
	cmd := &cobra.Command{
		Use:   "import-legacy FILE",
		Short: "Import simphony-remote's sqlite database or CSV file, keeping mapping ids",
		Long: `Import the accounting of the original simphony-remote: its sqlite database
(remoteappmanager.db) or its CSV accounting file. Users, applications and
grants with their policies are added; each grant keeps its mapping id (the
sqlite database's accounting.id; for a CSV file, the id this appliance's CSV
backend gives the row).

What is there already with the same data is left alone. A conflict (a mapping
id that another grant has, the same grant under another mapping id, a volume
outside the allowed roots) is reported on a line of its own and not imported;
the rest is imported in one transaction. The command then exits with 1.

--dry-run says what would be done and changes nothing.`,
		Args: args("FILE"),
		RunE: func(cmd *cobra.Command, a []string) error {
			b, format, err := legacy.Read(cmd.Context(), a[0])
			if err != nil {
				return err
			}
			return d.withService(cmd, func(svc admin.Service, _ location) error {
				rep, err := svc.Import(cmd.Context(), b, dryRun)
				if err != nil {
					return err
				}
				if asJSON {
					if err := writeJSON(cmd.OutOrStdout(), importJSON(rep)); err != nil {
						return err
					}
				} else if err := printImport(cmd.OutOrStdout(), rep, a[0], format); err != nil {
					return err
				}
				if n := len(rep.Conflicts); n > 0 {
					verb := "were"
					if dryRun {
						verb = "would be"
					}
					return fmt.Errorf("%d conflicting record(s) %s left out (listed above); nothing in the database was overwritten", n, verb)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be imported and change nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func printImport(w io.Writer, rep admin.ImportReport, file string, format legacy.Format) error {
	var sb strings.Builder
	add := "add"
	if rep.DryRun {
		add = "would add"
	}
	for _, u := range rep.Users {
		fmt.Fprintf(&sb, "%s user %s\n", add, u)
	}
	for _, a := range rep.Applications {
		fmt.Fprintf(&sb, "%s application %s\n", add, a)
	}
	for _, g := range rep.Grants {
		fmt.Fprintf(&sb, "%s grant %s: %s to %s (%s)\n", add, g.MappingID, g.Image, g.User, admin.DescribePolicy(g.Policy))
	}
	for _, c := range rep.Conflicts {
		fmt.Fprintf(&sb, "conflict: %s\n", c)
	}
	done := "imported"
	if rep.DryRun {
		done = "dry run, nothing changed: would import"
	}
	fmt.Fprintf(&sb, "%s %s (%s): %d user(s), %d application(s), %d grant(s); %d record(s) already there; %d conflict(s)\n",
		done, file, format, len(rep.Users), len(rep.Applications), len(rep.Grants), rep.Unchanged, len(rep.Conflicts))
	_, err := io.WriteString(w, sb.String())
	return err
}

// importJSON is the stable JSON form of an import report: the admin API's.
func importJSON(rep admin.ImportReport) wire.ImportReport {
	return wire.ImportReport{DryRun: rep.DryRun, Users: rep.Users, Applications: rep.Applications,
		Grants: rep.Grants, Unchanged: rep.Unchanged, Conflicts: rep.Conflicts}
}
