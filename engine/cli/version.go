package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/simphony/simphony-remote/engine/version"
)

func newVersion() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, Go and Caddy versions",
		Args:  args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := version.Get()
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), v)
			}
			commit, caddy := v.Commit, v.Caddy
			if commit == "" {
				commit = "unknown"
			}
			if caddy == "" {
				caddy = "not embedded in this build"
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "simphony-remote %s\ncommit: %s\ngo:     %s\ncaddy:  %s\n", v.Version, commit, v.Go, caddy)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
