package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/auth"
)

func (d *dbCmd) userCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Create, remove, list and change users",
		Long:  "Create, remove, list and change users. " + strings.ToUpper(accounting.UserNameRule[:1]) + accounting.UserNameRule[1:] + ".",
	}
	cmd.AddCommand(d.userCreateCmd(), d.userRemoveCmd(), d.userListCmd(),
		d.userSetPasswordCmd(), d.userDisableCmd(true), d.userDisableCmd(false), d.userSetAdminCmd(), d.userSignInLinkCmd())
	return cmd
}

func (d *dbCmd) userCreateCmd() *cobra.Command {
	var isAdmin, passwordStdin bool
	cmd := &cobra.Command{
		Use:   "create NAME [--admin] [--password-stdin]",
		Short: "Create a user",
		Long: `Create a user. With --password-stdin the user gets a local password, read from
standard input (asked twice, without echo, on a terminal); it is stored as an
argon2id hash. ` + accounting.UserNameRule + `.`,
		Example: `  simphony-remote db user create alice
  printf '%s\n' "$PASSWORD" | simphony-remote db user create bob --admin --password-stdin`,
		Args: args("NAME"),
		RunE: func(cmd *cobra.Command, a []string) error {
			name := a[0]
			// Check the name before asking for a password.
			if err := accounting.ValidateUserName(name); err != nil {
				return err
			}
			u := admin.NewUser{Name: name, Admin: isAdmin}
			if passwordStdin {
				pw, err := readPassword(d.env.stdin, cmd.ErrOrStderr(), true, "simphony-remote db user create NAME --password-stdin")
				if err != nil {
					return err
				}
				u.Password = pw
			}
			return d.withService(cmd, func(svc admin.Service, _ location) error {
				if _, err := svc.CreateUser(cmd.Context(), u); err != nil {
					return err
				}
				role := "user"
				if isAdmin {
					role = "admin user"
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "created %s %s\n", role, name)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&isAdmin, "admin", false, "make the user an administrator")
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read a local password from standard input")
	return cmd
}

// isTerminal reports whether in is a terminal.
func isTerminal(in io.Reader) bool {
	f, ok := in.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// errNoTerminal refuses to read a password from a pipe without
// --password-stdin; example shows how to pipe it in.
func errNoTerminal(example string) error {
	return usageError{fmt.Errorf("standard input is not a terminal to ask for the password: pipe it in with --password-stdin, e.g. printf '%%s\\n' \"$PASSWORD\" | %s", example)}
}

// readPassword reads a password from in: on a terminal it is asked for
// twice, without echo, and both must match; else, with fromStdin
// (--password-stdin), it is all of in minus one trailing line break, and
// without it an error. example shows the command with --password-stdin.
func readPassword(in io.Reader, prompt io.Writer, fromStdin bool, example string) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		fmt.Fprint(prompt, "Password again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ; nothing changed")
		}
		return string(a), auth.CheckPassword(string(a))
	}
	if !fromStdin {
		return "", errNoTerminal(example)
	}
	data, err := io.ReadAll(io.LimitReader(in, auth.MaxPasswordLen+3))
	if err != nil {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	pw := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if pw == "" {
		return "", fmt.Errorf("--password-stdin: standard input is empty; pipe the password in, e.g. printf '%%s\\n' \"$PASSWORD\" | %s", example)
	}
	return pw, auth.CheckPassword(pw)
}

func (d *dbCmd) userRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a user and all of their grants",
		Args:  args("NAME"),
		RunE: func(cmd *cobra.Command, a []string) error {
			return d.withService(cmd, func(svc admin.Service, _ location) error {
				if err := svc.RemoveUser(cmd.Context(), a[0]); err != nil {
					return err
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "removed user %s and their grants\n", a[0])
				return err
			})
		},
	}
}

func (d *dbCmd) userSetPasswordCmd() *cobra.Command {
	var remove, passwordStdin bool
	const example = "simphony-remote db user set-password NAME --password-stdin"
	cmd := &cobra.Command{
		Use:   "set-password NAME [--password-stdin | --remove]",
		Short: "Set (or with --remove, remove) a user's local password; signs them out",
		Long: `Set a user's local password, stored as an argon2id hash: asked for twice,
without echo, on a terminal; with --password-stdin read from standard input
(for scripts). With --remove the user has no password any more. Either way the
user is signed out of every browser.`,
		Example: `  simphony-remote db user set-password alice
  printf '%s\n' "$PASSWORD" | simphony-remote db user set-password alice --password-stdin
  simphony-remote db user set-password alice --remove`,
		Args: args("NAME"),
		RunE: func(cmd *cobra.Command, a []string) error {
			name := a[0]
			if !remove && !passwordStdin && !isTerminal(d.env.stdin) {
				return errNoTerminal(example)
			}
			return d.withService(cmd, func(svc admin.Service, _ location) error {
				// Ask for a password only for a user that exists.
				if _, err := svc.User(cmd.Context(), name); err != nil {
					return err
				}
				pw := ""
				if !remove {
					var err error
					if pw, err = readPassword(d.env.stdin, cmd.ErrOrStderr(), passwordStdin, example); err != nil {
						return err
					}
				}
				if _, err := svc.UpdateUser(cmd.Context(), name, admin.UserChange{Password: &pw}); err != nil {
					return err
				}
				done := "set the password of " + name
				if remove {
					done = "removed the password of " + name
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s; they are signed out everywhere\n", done)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&remove, "remove", false, "remove the password instead of setting one")
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
	cmd.MarkFlagsMutuallyExclusive("remove", "password-stdin")
	return cmd
}

// userDisableCmd is `user disable` (disable true) or `user enable`.
func (d *dbCmd) userDisableCmd(disable bool) *cobra.Command {
	verb, short, long := "enable", "Let a disabled user sign in again",
		"Let a disabled user sign in again, with their grants as before."
	if disable {
		verb, short, long = "disable", "Stop a user from signing in, and sign them out; their grants stay",
			"Stop a user from signing in and sign them out of every browser. Their grants\nstay, so that 'enable' restores them."
	}
	return &cobra.Command{
		Use:     verb + " NAME",
		Short:   short,
		Long:    long,
		Example: "  simphony-remote db user " + verb + " alice",
		Args:    args("NAME"),
		RunE: func(cmd *cobra.Command, a []string) error {
			return d.withService(cmd, func(svc admin.Service, _ location) error {
				if _, err := svc.UpdateUser(cmd.Context(), a[0], admin.UserChange{Disabled: &disable}); err != nil {
					return err
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "%sd user %s\n", verb, a[0])
				return err
			})
		},
	}
}

func (d *dbCmd) userSetAdminCmd() *cobra.Command {
	var isAdmin bool
	cmd := &cobra.Command{
		Use:   "set-admin NAME [--admin=false]",
		Short: "Make a user an administrator, or with --admin=false no longer one",
		Example: `  simphony-remote db user set-admin alice
  simphony-remote db user set-admin alice --admin=false`,
		Args: args("NAME"),
		RunE: func(cmd *cobra.Command, a []string) error {
			return d.withService(cmd, func(svc admin.Service, _ location) error {
				if _, err := svc.UpdateUser(cmd.Context(), a[0], admin.UserChange{Admin: &isAdmin}); err != nil {
					return err
				}
				state := "now"
				if !isAdmin {
					state = "no longer"
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s is %s an administrator\n", a[0], state)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&isAdmin, "admin", true, "whether the user is an administrator")
	return cmd
}

func (d *dbCmd) userSignInLinkCmd() *cobra.Command {
	minutes := int(auth.SignInLinkTTL.Minutes())
	return &cobra.Command{
		Use:   "sign-in-link NAME",
		Short: "Print a one-time link that signs a user in (needs the running appliance)",
		Long: fmt.Sprintf(`Print a link that signs the user in once, within %d minutes: the way in
for a user without a password, such as the users of the CSV backend, or an
administrator who lost theirs. The running appliance (simphony-remote serve)
makes it and keeps it in its memory; the audit log records who made one for
whom. Give it only to that user: whoever opens it first signs in as them.`, minutes),
		Example: "  simphony-remote db user sign-in-link admin",
		Args:    args("NAME"),
		RunE: func(cmd *cobra.Command, a []string) error {
			return d.withService(cmd, func(svc admin.Service, _ location) error {
				link, err := svc.SignInLink(cmd.Context(), a[0])
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\nThis link signs %s in once, within %d minutes.\n", link, a[0], minutes)
				return err
			})
		},
	}
}

// userListing is the JSON form of `db user list`; Applications is present
// (possibly empty) exactly when --show-apps is given.
type userListing struct {
	Name         string              `json:"name"`
	Admin        bool                `json:"admin"`
	Applications *[]accounting.Grant `json:"applications,omitempty"`
}

func (d *dbCmd) userListCmd() *cobra.Command {
	var showApps, asJSON, bare bool
	cmd := &cobra.Command{
		Use:   "list [--show-apps] [--json | --no-decoration]",
		Short: "List users, and with --show-apps the applications each may run",
		Long: `List users. With --show-apps, also each user's grants: mapping id, image and
policy. --json prints a list of {"name", "admin"} objects, with --show-apps an
"applications" list of {"mapping_id", "user", "image", "policy"} in each.
--no-decoration prints the names alone, one a line, as the original did
(with --show-apps: the table's rows without heading, tab-separated).`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return d.withService(cmd, func(svc admin.Service, _ location) error {
				users, err := svc.Users(cmd.Context(), showApps)
				if err != nil {
					return err
				}
				list := make([]userListing, 0, len(users))
				for _, u := range users {
					l := userListing{Name: u.Name, Admin: u.Admin}
					if showApps {
						grants := u.Grants
						if grants == nil {
							grants = []accounting.Grant{}
						}
						l.Applications = &grants
					}
					list = append(list, l)
				}
				switch {
				case asJSON:
					return writeJSON(cmd.OutOrStdout(), list)
				case bare:
					return printBareUsers(cmd.OutOrStdout(), list, showApps)
				}
				return printUsers(cmd.OutOrStdout(), list, showApps)
			})
		},
	}
	cmd.Flags().BoolVar(&showApps, "show-apps", false, "show the applications each user may run")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&bare, "no-decoration", false, "print the names alone, without heading or alignment")
	cmd.MarkFlagsMutuallyExclusive("json", "no-decoration")
	return cmd
}

// printBareUsers prints the names, one a line; with showApps one line per
// grant: name, mapping id, image (a user without grants: the name alone).
func printBareUsers(w io.Writer, list []userListing, showApps bool) error {
	for _, u := range list {
		if !showApps || len(*u.Applications) == 0 {
			fmt.Fprintln(w, u.Name)
			continue
		}
		for _, g := range *u.Applications {
			fmt.Fprintf(w, "%s\t%s\t%s\n", u.Name, g.MappingID, g.Image)
		}
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func printUsers(w io.Writer, list []userListing, showApps bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if !showApps {
		fmt.Fprintln(tw, "NAME\tADMIN")
		for _, u := range list {
			fmt.Fprintf(tw, "%s\t%s\n", u.Name, yesNo(u.Admin))
		}
		return tw.Flush()
	}
	fmt.Fprintln(tw, "NAME\tADMIN\tMAPPING ID\tIMAGE\tHOME\tVIEW\tSTARTUP DATA\tVOLUME\tLICENCE")
	for _, u := range list {
		if len(*u.Applications) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t-\t\t\t\t\t\t\n", u.Name, yesNo(u.Admin))
		}
		for i, g := range *u.Applications {
			name, admin := u.Name, yesNo(u.Admin)
			if i > 0 {
				name, admin = "", ""
			}
			p := g.Policy
			vol := p.Volume.String()
			if vol == "" {
				vol = "-"
			}
			lic := p.AppLicense
			if lic == "" {
				lic = "-"
			} else if len(lic) > 24 {
				lic = lic[:21] + "..."
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, admin, g.MappingID, g.Image,
				yesNo(p.AllowHome), yesNo(p.AllowView), yesNo(p.AllowStartupData), vol, lic)
		}
	}
	return tw.Flush()
}
