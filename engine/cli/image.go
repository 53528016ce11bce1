package cli

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/human"
	"github.com/simphony/simphony-remote/engine/images"
)

func newImage(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Build application images",
	}
	cmd.AddCommand(newBuildStarters(e))
	return cmd
}

func newBuildStarters(e *env) *cobra.Command {
	var only, starter string
	var force bool
	cmd := &cobra.Command{
		Use:   "build-starters [--only desktop|files] [--force] [--starter PATH]",
		Short: "Build the starter images offline: a VNC desktop and a file browser",
		Long: `Build the starter images with the Docker Engine of the configuration's
[docker] settings, with no registry:

  ` + images.Desktop + `  a Linux desktop in the browser (vncapp)
  ` + images.Files + `    a file browser for the workspace (webapp)

The recipes are built into this program (installer/images in its source);
the images run simphony-remote-starter, by default the one next to this
program (make build writes both), else the one the package installs
(/usr/lib/simphony-remote for /usr/bin/simphony-remote). The desktop starts from a Debian base
made once with debootstrap from the host's apt mirror, which needs root and
the debootstrap package; its packages come from that mirror too.

Building is idempotent: an image whose recipe, starter binary and base are
unchanged is reported up to date and left alone. --force rebuilds without
Docker's build cache (the debootstrap base is kept).`,
		Example: "  sudo simphony-remote image build-starters\n  simphony-remote image build-starters --only files --starter bin/simphony-remote-starter",
		Args:    args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if only != "" && !slices.Contains(images.Names(), only) {
				return usageError{fmt.Errorf("--only %q: want one of %s", only, strings.Join(images.Names(), ", "))}
			}
			if starter == "" {
				exe, err := os.Executable()
				if err != nil {
					return fmt.Errorf("finding the starter binary: %w; pass --starter", err)
				}
				starter = images.StarterPath(exe)
			}
			cfg, err := loadConfig(cmd, e)
			if err != nil {
				return err
			}
			c, err := docker.New(cfg.Docker)
			if err != nil {
				return err
			}
			defer c.Close()
			if err := c.Ping(cmd.Context()); err != nil {
				if errors.Is(err, docker.ErrUnreachable) {
					return fmt.Errorf("%w; start Docker (make docker) or fix [docker] in the configuration", err)
				}
				return err
			}
			results, err := images.BuildStarters(cmd.Context(), c, images.Options{
				Starter:  starter,
				Only:     only,
				Force:    force,
				Progress: cmd.ErrOrStderr(),
			})
			for _, r := range results {
				state := "built in " + human.Duration(r.Took)
				if r.UpToDate {
					state = "up to date"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s (%s)\n", r.Image, state, shortImageID(r.ID))
			}
			return err
		},
	}
	cmd.Flags().StringVar(&only, "only", "", "build only this image: desktop or files")
	cmd.Flags().BoolVar(&force, "force", false, "rebuild even up-to-date images, without Docker's build cache")
	cmd.Flags().StringVar(&starter, "starter", "", "the static simphony-remote-starter binary (default: next to this program, else the package's in ../lib/simphony-remote from it)")
	return cmd
}

// shortImageID is an image id as docker images shows it.
func shortImageID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
