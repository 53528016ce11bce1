package cli

import (
	"errors"
	"fmt"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/simphony/simphony-remote/engine/api/wire"
)

func (a *appCmd) shareCmd() *cobra.Command {
	var view, control, asJSON bool
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "share URL_ID USER [--view | --control] [--expires DURATION] [--json]",
		Short: "Let another user into one of your sessions",
		Long: `Let USER into your session URL_ID: to watch it (--view, the default) or to
use it as you do (--control), until you unshare it, the session stops, or
with --expires (a duration: 30m, 2h, 168h) until then. Sharing again with the
same user replaces the earlier share. The grant's policy must allow viewing.`,
		Example: "  simphony-remote app share 0f3a9c5d2b7e4f1a8c6d0e9b3a5f7c21 bob --expires 2h",
		Args:    args("URL_ID", "USER"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if err := checkHex32("URL_ID", argv[0], `"simphony-remote app running"`); err != nil {
				return err
			}
			if argv[1] == "" {
				return usageError{errors.New("USER: empty")}
			}
			req := wire.ShareRequest{User: argv[1], Mode: wire.ShareView}
			if control {
				req.Mode = wire.ShareControl
			}
			if cmd.Flags().Changed("expires") {
				if expires <= 0 {
					return usageError{fmt.Errorf("--expires %s: want a duration after now, e.g. 2h", expires)}
				}
				t := time.Now().Add(expires).UTC().Truncate(time.Second)
				req.Expires = &t
			}
			c, _, err := a.client(cmd, requestTimeout)
			if err != nil {
				return err
			}
			var sh wire.Share
			raw, err := c.callJSON(cmd.Context(), http.MethodPost, "/containers/"+argv[0]+"/shares", req, &sh, http.StatusCreated)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			until := "until unshared"
			if sh.Expires != nil {
				until = "until " + formatTime(*sh.Expires)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "shared %s with %s (%s, %s)\n", argv[0], sh.User, sh.Mode, until)
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&view, "view", false, "let the user watch the session (the default)")
	f.BoolVar(&control, "control", false, "let the user use the session as you do")
	f.DurationVar(&expires, "expires", 0, "end the share after this long (e.g. 2h); default: never")
	f.BoolVar(&asJSON, "json", false, "print the API's JSON")
	cmd.MarkFlagsMutuallyExclusive("view", "control")
	return cmd
}

func (a *appCmd) unshareCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "unshare URL_ID USER",
		Short: "Stop sharing one of your sessions with a user",
		Long:  "Stop sharing your session URL_ID with USER; their open connections to it close.",
		Args:  args("URL_ID", "USER"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if err := checkHex32("URL_ID", argv[0], `"simphony-remote app running"`); err != nil {
				return err
			}
			user, err := pathSegment("USER", argv[1])
			if err != nil {
				return err
			}
			c, _, err := a.client(cmd, requestTimeout)
			if err != nil {
				return err
			}
			if _, err := c.call(cmd.Context(), http.MethodDelete, "/containers/"+argv[0]+"/shares/"+user, nil, http.StatusNoContent); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "stopped sharing %s with %s\n", argv[0], argv[1])
			return err
		},
	}
}

func (a *appCmd) sharesCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "shares URL_ID [--json]",
		Short: "List who you share one of your sessions with",
		Args:  args("URL_ID"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if err := checkHex32("URL_ID", argv[0], `"simphony-remote app running"`); err != nil {
				return err
			}
			c, _, err := a.client(cmd, requestTimeout)
			if err != nil {
				return err
			}
			var shares []wire.Share
			raw, err := c.callJSON(cmd.Context(), http.MethodGet, "/containers/"+argv[0]+"/shares", nil, &shares, http.StatusOK)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "USER\tMODE\tCREATED\tEXPIRES")
			for _, sh := range shares {
				exp := "never"
				if sh.Expires != nil {
					exp = formatTime(*sh.Expires)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", sh.User, sh.Mode, formatTime(sh.Created), exp)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON")
	return cmd
}
