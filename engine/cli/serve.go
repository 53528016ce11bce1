package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/simphony/simphony-remote/engine/config"
)

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
			return fmt.Errorf("serve is not yet available in this version: the appliance (HTTPS, sign-in, sessions) comes in a later release; --print-config works")
		},
	}
	cmd.Flags().String("data", "", "data directory (overrides data_dir)")
	cmd.Flags().String("listen", "", "HTTPS address HOST:PORT (overrides listen)")
	cmd.Flags().BoolVar(&printConfig, "print-config", false, "print the effective configuration as TOML and exit")
	return cmd
}
