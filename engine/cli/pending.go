package cli

import (
	"github.com/spf13/cobra"
)

// Commands of the public contract that later releases deliver. They exist
// now so that --help shows the whole command line and scripts get a clear
// message instead of "unknown command".

func newApp(*env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "app",
		Short: "Use a running appliance's API: sign in, list, start and stop sessions",
	}
	const what = "the JSON API"
	cmd.AddCommand(
		notYet("login URL", "Sign in to an appliance and store an API token", what),
		notYet("available", "List the applications you may start", what),
		notYet("start MAPPING_ID", "Start an application", what),
		notYet("running", "List your running sessions", what),
		notYet("stop URL_ID", "Stop a session", what),
	)
	return cmd
}

func newConsole(*env) *cobra.Command {
	return notYet("console", "Open the desktop admin console", "the desktop console (make desktop)")
}
