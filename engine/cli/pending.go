package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newConsole is the desktop admin console's command, part of the public
// contract: it exists so that --help shows the whole command line and a
// script gets a clear message. The console (app/) is not built yet; the
// message names no build target until one exists.
func newConsole(*env) *cobra.Command {
	return &cobra.Command{
		Use:                "console",
		Short:              "Open the desktop admin console (not built yet)",
		DisableFlagParsing: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("the desktop console is not built yet; administer the appliance with simphony-remote db")
		},
	}
}
