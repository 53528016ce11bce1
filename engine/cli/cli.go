// Package cli is the simphony-remote command line: one cobra command per
// file, each handing the work to the engine's packages.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/simphony/simphony-remote/engine/config"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// usageError marks a mistake in how a command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// env is what commands read from the outside world besides flags.
type env struct {
	stdin   io.Reader
	environ []string
}

// Main runs the command line with args (without the program name) and
// returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, environ: os.Environ()}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "Error: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) || isCobraUsageError(err) {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return exitUsage
	}
	return exitError
}

// isCobraUsageError recognises the errors cobra itself returns for unknown
// commands, which cannot be intercepted otherwise.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "if any flags in the group", "required flag"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "simphony-remote",
		Short: "Run desktop and web applications in containers for browser users",
		Long: `SimPhoNy Remote lets scientists sign in with a browser and run desktop
(VNC) and web applications, each in its own Docker container.

Configuration comes from built-in defaults, then the file given with --config
(or $` + config.EnvConfigFile + `), then SIMPHONY_REMOTE_* environment variables,
then command-line flags.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.PersistentFlags().String("config", "", "configuration file (TOML); default: $"+config.EnvConfigFile+", else built-in defaults")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newServe(e), newDB(e), newApp(e), newConsole(e), newImage(e), newVersion())
	return root
}

// loadConfig loads the configuration named by --config (or the environment),
// applying the given flag overrides.
func loadConfig(cmd *cobra.Command, e *env, flags ...config.Flag) (*config.Loaded, error) {
	file, _ := cmd.Flags().GetString("config")
	if file == "" {
		for _, kv := range e.environ {
			if v, ok := strings.CutPrefix(kv, config.EnvConfigFile+"="); ok {
				file = v
			}
		}
	}
	return config.Load(config.Sources{File: file, Env: e.environ, Flags: flags})
}

// args checks the number of positional arguments, naming them in the error.
func args(names ...string) cobra.PositionalArgs {
	return func(_ *cobra.Command, got []string) error {
		if len(got) == len(names) {
			return nil
		}
		want := "no arguments"
		if len(names) > 0 {
			want = strings.Join(names, " ")
		}
		return usageError{fmt.Errorf("expects %s, got %d argument(s)", want, len(got))}
	}
}
