package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
)

func (d *dbCmd) appCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "app",
		Short: "Create, remove and list applications; grant and revoke them",
	}
	cmd.AddCommand(d.appCreateCmd(), d.appRemoveCmd(), d.appListCmd(), d.appLimitsCmd(), d.appRunAsRootCmd(), d.appGrantCmd(), d.appRevokeCmd())
	return cmd
}

// limitFlags are the resource limit flags of app create and app limits.
type limitFlags struct {
	memory string
	cpus   float64
	pids   int64
}

func (l *limitFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&l.memory, "memory", "0", "memory limit of each session, e.g. 2GiB or 512m (0: the appliance default)")
	fs.Float64Var(&l.cpus, "cpus", 0, "CPU limit of each session, e.g. 1.5 (0: the appliance default)")
	fs.Int64Var(&l.pids, "pids", 0, "process limit of each session (0: the appliance default)")
}

// change is the change of limits that the flags given on cmd name.
func (l *limitFlags) change(cmd *cobra.Command) (admin.LimitsChange, error) {
	lim, err := l.limits()
	if err != nil {
		return admin.LimitsChange{}, err
	}
	var c admin.LimitsChange
	if cmd.Flags().Changed("memory") {
		c.Memory = &lim.Memory
	}
	if cmd.Flags().Changed("cpus") {
		c.CPUs = &lim.CPUs
	}
	if cmd.Flags().Changed("pids") {
		c.Pids = &lim.Pids
	}
	if c.IsZero() {
		return c, usageError{errors.New("name the limits to change: --memory, --cpus and/or --pids")}
	}
	return c, nil
}

func (l *limitFlags) limits() (accounting.Limits, error) {
	mem, err := units.RAMInBytes(l.memory)
	if err != nil {
		return accounting.Limits{}, usageError{fmt.Errorf("--memory %q: want a size like 2GiB or 512m", l.memory)}
	}
	lim := accounting.Limits{Memory: mem, CPUs: l.cpus, Pids: l.pids}
	return lim, lim.Validate()
}

func (d *dbCmd) appLimitsCmd() *cobra.Command {
	var lf limitFlags
	cmd := &cobra.Command{
		Use:   "limits IMAGE [--memory SIZE] [--cpus N] [--pids N]",
		Short: "Change the resource limits of an application's sessions",
		Long: `Change the resource limits of each session of IMAGE: only the limits named
change, the others keep their values. A limit set to 0 takes the appliance's
default again ([sessions] in the configuration).`,
		Example: "  simphony-remote db app limits simphony-remote/desktop:latest --memory 8GiB --cpus 4\n  simphony-remote db app limits simphony-remote/desktop:latest --pids 0",
		Args:    args("IMAGE"),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := lf.change(cmd)
			if err != nil {
				return err
			}
			return d.withService(cmd, func(svc admin.Service, _ location) error {
				app, err := svc.SetLimits(cmd.Context(), a[0], c)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "the limits of %s are now: %s\n", app.Image, app.Limits.String())
				return err
			})
		},
	}
	lf.add(cmd.Flags())
	return cmd
}

func (d *dbCmd) appCreateCmd() *cobra.Command {
	var verify, noVerify, root bool
	var lf limitFlags
	cmd := &cobra.Command{
		Use:   "create IMAGE [--verify | --no-verify] [--run-as-root]",
		Short: "Register a Docker image as an application",
		Long: `Register a Docker image as an application. By default (--verify) the Docker
Engine (the running appliance's, if it holds the database) is asked whether it
has the image; --no-verify skips the check, e.g. for an image to be built or
loaded later.

` + runAsRootHelp + " --run-as-root marks it so (see also `db app run-as-root`).",
		Example: "  simphony-remote db app create simphony-remote/desktop:latest\n  simphony-remote db app create lab/analysis:2.1 --no-verify",
		Args:    args("IMAGE"),
		RunE: func(cmd *cobra.Command, a []string) error {
			image := a[0]
			if err := accounting.ValidateImage(image); err != nil {
				return err
			}
			limits, err := lf.limits()
			if err != nil {
				return err
			}
			return d.withService(cmd, func(svc admin.Service, _ location) error {
				na := admin.NewApplication{Image: image, Limits: limits, Verify: verify && !noVerify, RunAsRoot: root}
				if _, err := svc.CreateApplication(cmd.Context(), na); err != nil {
					return err
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "created application %s\n", image)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&verify, "verify", true, "check that the Docker Engine has the image (the default)")
	cmd.Flags().BoolVar(&noVerify, "no-verify", false, "do not check the image with Docker")
	cmd.MarkFlagsMutuallyExclusive("verify", "no-verify")
	cmd.Flags().BoolVar(&root, "run-as-root", false, "start its containers as the image's own user (root), not the session owner's uid")
	lf.add(cmd.Flags())
	return cmd
}

func (d *dbCmd) appRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove IMAGE",
		Short: "Remove an application and every grant of it",
		Args:  args("IMAGE"),
		RunE: func(cmd *cobra.Command, a []string) error {
			return d.withService(cmd, func(svc admin.Service, _ location) error {
				if err := svc.RemoveApplication(cmd.Context(), a[0]); err != nil {
					return err
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "removed application %s and its grants\n", a[0])
				return err
			})
		},
	}
}

func (d *dbCmd) appListCmd() *cobra.Command {
	var asJSON, bare bool
	cmd := &cobra.Command{
		Use:   "list [--json | --no-decoration]",
		Short: "List applications",
		Long:  `List applications and their limits. --json prints a list of {"image", "limits": {"memory_bytes", "cpus", "pids"}} objects, 0 meaning the appliance default.`,
		Args:  args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return d.withService(cmd, func(svc admin.Service, _ location) error {
				apps, err := svc.Applications(cmd.Context())
				if err != nil {
					return err
				}
				switch {
				case asJSON:
					if apps == nil {
						apps = []accounting.Application{}
					}
					return writeJSON(cmd.OutOrStdout(), apps)
				case bare:
					for _, a := range apps {
						fmt.Fprintln(cmd.OutOrStdout(), a.Image)
					}
					return nil
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "IMAGE\tLIMITS")
				for _, a := range apps {
					fmt.Fprintf(tw, "%s\t%s\n", a.Image, a.Limits.String())
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&bare, "no-decoration", false, "print the images alone, one a line")
	cmd.MarkFlagsMutuallyExclusive("json", "no-decoration")
	return cmd
}

// policyFlags are the flags that describe a policy, shared by grant and
// revoke.
type policyFlags struct {
	license          string
	allowHome        bool
	allowView        bool
	volume           string
	allowStartupData bool
}

func (p *policyFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&p.license, "app-license", "", "licence string passed to the container as APP_LICENSE")
	fs.BoolVar(&p.allowHome, "allow-home", false, "mount the user's persistent workspace at /workspace")
	fs.BoolVar(&p.allowView, "allow-view", false, "let the user share running sessions with others")
	fs.StringVar(&p.volume, "volume", "", "also mount a host directory: SOURCE:TARGET:MODE, absolute paths, MODE ro or rw; SOURCE under the configuration's [volumes] allowed_roots")
	fs.BoolVar(&p.allowStartupData, "allow-startup-data", false, "let the user pass startup data to the application")
}

var policyFlagNames = []string{"app-license", "allow-home", "allow-view", "volume", "allow-startup-data"}

func (p *policyFlags) policy() (accounting.Policy, error) {
	pol := accounting.Policy{
		AppLicense: p.license, AllowHome: p.allowHome, AllowView: p.allowView, AllowStartupData: p.allowStartupData,
	}
	if p.volume != "" {
		v, err := accounting.ParseVolume(p.volume)
		if err != nil {
			return pol, usageError{fmt.Errorf("--volume: %w", err)}
		}
		pol.Volume = v
	}
	if err := pol.Validate(); err != nil {
		return pol, err
	}
	return pol.Canonical(), nil
}

func (d *dbCmd) appGrantCmd() *cobra.Command {
	var pf policyFlags
	cmd := &cobra.Command{
		Use:   "grant IMAGE USER [policy flags]",
		Short: "Let USER run IMAGE with a policy; prints the mapping id",
		Long: `Let USER run the application IMAGE with the policy the flags describe, and
print the grant's mapping id. Granting the same image to the same user with the
same policy again prints the same mapping id. A user may hold several grants of
one image with different policies.`,
		Example: "  simphony-remote db app grant simphony-remote/desktop alice --allow-home --volume /srv/data:/data:ro",
		Args:    args("IMAGE", "USER"),
		RunE: func(cmd *cobra.Command, a []string) error {
			p, err := pf.policy()
			if err != nil {
				return err
			}
			return d.withService(cmd, func(svc admin.Service, _ location) error {
				id, err := svc.Grant(cmd.Context(), a[1], a[0], p)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), id)
				return err
			})
		},
	}
	pf.add(cmd.Flags())
	return cmd
}

func (d *dbCmd) appRevokeCmd() *cobra.Command {
	var pf policyFlags
	var all bool
	cmd := &cobra.Command{
		Use:   "revoke IMAGE USER [--revoke-all | policy flags]",
		Short: "Remove USER's grant of IMAGE with exactly the given policy, or all of them",
		Long: `Remove the grant of IMAGE to USER whose policy is exactly the one the flags
describe (no flags: the plain policy). With --revoke-all, remove every grant of
IMAGE to USER whatever its policy.`,
		Args: args("IMAGE", "USER"),
		RunE: func(cmd *cobra.Command, a []string) error {
			image, user := a[0], a[1]
			if all {
				for _, n := range policyFlagNames {
					if cmd.Flags().Changed(n) {
						return usageError{fmt.Errorf("--revoke-all removes grants whatever their policy; it cannot be combined with --%s", n)}
					}
				}
			}
			p, err := pf.policy()
			if err != nil {
				return err
			}
			return d.withService(cmd, func(svc admin.Service, _ location) error {
				if all {
					n, err := svc.RevokeAll(cmd.Context(), user, image)
					if err != nil {
						return err
					}
					_, err = fmt.Fprintf(cmd.OutOrStdout(), "revoked %d grant(s) of %s from %s\n", n, image, user)
					return err
				}
				if err := svc.Revoke(cmd.Context(), user, image, p); err != nil {
					if errors.Is(err, accounting.ErrNotFound) {
						return fmt.Errorf("%w (see the grants with 'simphony-remote db user list --show-apps', or use --revoke-all)", err)
					}
					return err
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "revoked the grant of %s to %s\n", image, user)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&all, "revoke-all", false, "revoke every grant of IMAGE to USER, whatever the policy")
	pf.add(cmd.Flags())
	return cmd
}
