package cli

import (
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/simphony/simphony-remote/app"
	"github.com/simphony/simphony-remote/engine/appliance"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/logging"
)

// newConsole opens the desktop admin console on the appliance of the
// configured data dir. The server build has no console (it links no GTK):
// there the command says how to get it.
func newConsole(e *env) *cobra.Command {
	short := "Open the desktop admin console on this machine's appliance"
	if !app.Built {
		short += " (not in this build: make desktop)"
	}
	cmd := &cobra.Command{
		Use:   "console [--config FILE] [--data DIR]",
		Short: short,
		Long: `Open the desktop admin console: a window on this machine with the admin pages
(as at /admin/) and a "This machine" page (the appliance's state, its systemd
service, its log). It talks to the running appliance through its admin socket,
DATA_DIR/admin.sock: whoever may open that socket (the appliance's user and
group) is an administrator, and needs no password.

The console is in the desktop build only (make desktop builds
bin/simphony-remote-console; the simphony-remote-console package installs it).`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var flags []config.Flag
			if cmd.Flags().Changed("data") {
				v, _ := cmd.Flags().GetString("data")
				flags = append(flags, config.Flag{Name: "--data", Key: "data_dir", Value: v})
			}
			cfg, err := loadConfig(cmd, e, flags...)
			if err != nil {
				return err
			}
			log, err := logging.New(cmd.ErrOrStderr(), cfg.Log.Level, cfg.Log.Format)
			if err != nil {
				return err
			}
			data, err := filepath.Abs(cfg.DataDir)
			if err != nil {
				return err
			}
			return app.Run(filepath.Join(data, appliance.SocketName), data, log.With().Str("component", "console").Logger())
		},
	}
	cmd.Flags().String("data", "", "the appliance's data directory (overrides data_dir)")
	return cmd
}
