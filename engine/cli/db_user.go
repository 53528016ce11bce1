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
	"github.com/simphony/simphony-remote/engine/auth"
)

func (d *dbCmd) userCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Create, remove and list users",
		Long:  "Create, remove and list users. " + strings.ToUpper(accounting.UserNameRule[:1]) + accounting.UserNameRule[1:] + ".",
	}
	cmd.AddCommand(d.userCreateCmd(), d.userRemoveCmd(), d.userListCmd())
	return cmd
}

func (d *dbCmd) userCreateCmd() *cobra.Command {
	var admin, passwordStdin bool
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
			u := accounting.User{Name: name, Admin: admin}
			if passwordStdin {
				pw, err := readPassword(d.env.stdin, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				if u.PasswordHash, err = auth.HashPassword(pw); err != nil {
					return err
				}
			}
			return d.withStore(cmd, func(s accounting.Store, _ location) error {
				if err := s.CreateUser(cmd.Context(), u); err != nil {
					return err
				}
				role := "user"
				if admin {
					role = "admin user"
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "created %s %s\n", role, name)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&admin, "admin", false, "make the user an administrator")
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read a local password from standard input")
	return cmd
}

// readPassword reads a password from in: prompted twice without echo when
// in is a terminal, else all of it minus one trailing line break.
func readPassword(in io.Reader, prompt io.Writer) (string, error) {
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
			return "", errors.New("the two passwords differ")
		}
		return string(a), auth.CheckPassword(string(a))
	}
	data, err := io.ReadAll(io.LimitReader(in, auth.MaxPasswordLen+3))
	if err != nil {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	pw := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if pw == "" {
		return "", errors.New("--password-stdin: standard input is empty; pipe the password in, e.g. printf '%s\\n' \"$PASSWORD\" | simphony-remote db user create NAME --password-stdin")
	}
	return pw, auth.CheckPassword(pw)
}

func (d *dbCmd) userRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a user and all of their grants",
		Args:  args("NAME"),
		RunE: func(cmd *cobra.Command, a []string) error {
			return d.withStore(cmd, func(s accounting.Store, _ location) error {
				if err := s.RemoveUser(cmd.Context(), a[0]); err != nil {
					return err
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "removed user %s and their grants\n", a[0])
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
	var showApps, asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--show-apps] [--json]",
		Short: "List users, and with --show-apps the applications each may run",
		Long: `List users. With --show-apps, also each user's grants: mapping id, image and
policy. --json prints a list of {"name", "admin"} objects, with --show-apps an
"applications" list of {"mapping_id", "user", "image", "policy"} in each.`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return d.withStore(cmd, func(s accounting.Store, _ location) error {
				ctx := cmd.Context()
				users, err := s.Users(ctx)
				if err != nil {
					return err
				}
				list := make([]userListing, 0, len(users))
				for _, u := range users {
					l := userListing{Name: u.Name, Admin: u.Admin}
					if showApps {
						grants, err := s.Grants(ctx, u.Name)
						if err != nil {
							return err
						}
						if grants == nil {
							grants = []accounting.Grant{}
						}
						l.Applications = &grants
					}
					list = append(list, l)
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), list)
				}
				return printUsers(cmd.OutOrStdout(), list, showApps)
			})
		},
	}
	cmd.Flags().BoolVar(&showApps, "show-apps", false, "show the applications each user may run")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
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
