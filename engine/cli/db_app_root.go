package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/simphony/simphony-remote/engine/admin"
)

// runAsRootHelp says what the mark means, for both commands that set it.
const runAsRootHelp = `An application marked run-as-root starts its containers as its image's
own user, usually root, instead of the session owner's own uid: only for
images that need it, such as those made for the original simphony-remote,
which create their user themselves. Its processes still cannot gain
privileges (sessions.no_new_privileges) and have a reduced set of
capabilities, but a root process in a container can write, as root, into
whatever the session mounts.`

func (d *dbCmd) appRunAsRootCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "run-as-root IMAGE on|off",
		Short: "Mark an application to run as its image's user (root), or clear the mark",
		Long: runAsRootHelp + `

The mark applies to sessions started after the change.`,
		Example: "  simphony-remote db app run-as-root simphonyproject/simphony-mayavi:0.6.0 on",
		Args:    args("IMAGE", "on|off"),
		RunE: func(cmd *cobra.Command, a []string) error {
			var root bool
			switch a[1] {
			case "on":
				root = true
			case "off":
			default:
				return usageError{fmt.Errorf("%q: want on or off", a[1])}
			}
			return d.withService(cmd, func(svc admin.Service, _ location) error {
				app, err := svc.SetRunAsRoot(cmd.Context(), a[0], root)
				if err != nil {
					return err
				}
				state := "its sessions run as their owner's own uid"
				if app.RunAsRoot {
					state = "its sessions run as the image's own user (root)"
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", app.Image, state)
				return err
			})
		},
	}
}
