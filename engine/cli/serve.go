package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/simphony/simphony-remote/engine/appliance"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/logging"
)

func lookupEnv(environ []string, name string) string {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

func newServe(e *env) *cobra.Command {
	var printConfig bool
	cmd := &cobra.Command{
		Use:   "serve [--config FILE] [--data DIR] [--listen HOST:PORT]",
		Short: "Run the appliance",
		Long: `Run the appliance: the web portal, the admin pages, the API and the proxy to
running sessions, over HTTPS. With no configuration file it uses the built-in
defaults: data in ./data, HTTPS on localhost:8443.`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var flags []config.Flag
			for _, f := range []struct{ name, key string }{{"data", "data_dir"}, {"listen", "listen"}} {
				if cmd.Flags().Changed(f.name) {
					v, _ := cmd.Flags().GetString(f.name)
					flags = append(flags, config.Flag{Name: "--" + f.name, Key: f.key, Value: v})
				}
			}
			cfg, err := loadConfig(cmd, e, flags...)
			if err != nil {
				return err
			}
			if printConfig {
				out, err := cfg.TOML()
				if err != nil {
					return err
				}
				_, err = cmd.OutOrStdout().Write(out)
				return err
			}
			// The recent lines, as JSON whatever the format on stderr,
			// for the desktop console (through the admin socket).
			ring := logging.NewRing(logging.RingSize)
			log, err := logging.New(cmd.ErrOrStderr(), cfg.Log.Level, cfg.Log.Format, ring)
			if err != nil {
				return err
			}
			return appliance.Run(cmd.Context(), cfg.Config, log, appliance.Options{
				Out:           cmd.OutOrStdout(),
				AdminPassword: lookupEnv(e.environ, config.EnvAdminPassword),
				LogRing:       ring,
			})
		},
	}
	cmd.Flags().String("data", "", "data directory (overrides data_dir)")
	cmd.Flags().String("listen", "", "HTTPS address HOST:PORT (overrides listen)")
	cmd.Flags().BoolVar(&printConfig, "print-config", false, "print the effective configuration as TOML and exit")
	return cmd
}
