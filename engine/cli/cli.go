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
	"github.com/spf13/pflag"

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
	root.SetArgs(positionalDB(root, args))
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
	root.InitDefaultCompletionCmd() // now, rather than when run, so that strictGroups sees it
	strictGroups(root)
	// The original's spellings (--allow_home, --no_verify, ...) are the
	// same flags; help shows only the dashed ones.
	root.SetGlobalNormalizationFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		return pflag.NormalizedName(strings.ReplaceAll(name, "_", "-"))
	})
	return root
}

// strictGroups makes every command that only groups others (db, db user,
// app, ...) fail on an unknown subcommand or a stray argument: cobra would
// print the help and exit 0, so that old scripts "succeed" doing nothing.
// Without arguments they print their help.
func strictGroups(c *cobra.Command) {
	if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, a []string) error {
			if len(a) == 0 || len(a) == 1 && a[0] == "help" {
				return cmd.Help()
			}
			msg := fmt.Sprintf("unknown command %q for %q", a[0], cmd.CommandPath())
			if cmd.SuggestionsMinimumDistance <= 0 {
				cmd.SuggestionsMinimumDistance = 2
			}
			if s := cmd.SuggestionsFor(a[0]); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			}
			return usageError{errors.New(msg)}
		}
	}
	for _, sub := range c.Commands() {
		strictGroups(sub)
	}
}

// positionalDB rewrites the original remoteappdb's form, where the database
// came first ("db PATH user list"), into "db --db PATH user list": when the
// first argument of db is not one of its commands and the next one is.
func positionalDB(root *cobra.Command, args []string) []string {
	i := nextArg(root, args, 0)
	if i < 0 || args[i] != "db" {
		return args
	}
	db, _, err := root.Find([]string{"db"})
	if err != nil {
		return args
	}
	j := nextArg(db, args, i+1)
	if j < 0 || subcommand(db, args[j]) {
		return args
	}
	if k := nextArg(db, args, j+1); k < 0 || !subcommand(db, args[k]) {
		return args
	}
	out := append([]string{}, args[:j]...)
	out = append(out, "--db", args[j])
	return append(out, args[j+1:]...)
}

// nextArg returns the index of the first argument from from on that is
// not a flag of cmd (or a flag's value), or -1.
func nextArg(cmd *cobra.Command, args []string, from int) int {
	for k := from; k < len(args); k++ {
		a := args[k]
		switch {
		case a == "--":
			return -1
		case strings.HasPrefix(a, "--") && !strings.Contains(a, "="):
			if f := lookupFlag(cmd, strings.TrimPrefix(a, "--")); f != nil && f.Value.Type() != "bool" {
				k++ // its value
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			// --name=value, or a (boolean) shorthand such as -h
		default:
			return k
		}
	}
	return -1
}

// lookupFlag finds a flag cmd accepts, its own or inherited.
func lookupFlag(cmd *cobra.Command, name string) *pflag.Flag {
	name = strings.ReplaceAll(name, "_", "-")
	for c := cmd; c != nil; c = c.Parent() {
		if f := c.PersistentFlags().Lookup(name); f != nil {
			return f
		}
	}
	return cmd.Flags().Lookup(name)
}

// subcommand reports whether name is one of cmd's commands.
func subcommand(cmd *cobra.Command, name string) bool {
	for _, c := range cmd.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return true
		}
	}
	return false
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
