package cli

import (
	"github.com/spf13/cobra"
)

// Commands of the public contract that later releases deliver. They exist
// now so that --help shows the whole command line and scripts get a clear
// message instead of "unknown command".

func newConsole(*env) *cobra.Command {
	return notYet("console", "Open the desktop admin console", "the desktop console (make desktop)")
}
