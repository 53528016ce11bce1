package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/simphony/simphony-remote/engine/api/wire"
)

func (a *appCmd) availableCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "available [--json]",
		Short: "List the applications you may start",
		Long: `List the applications granted to you: their mapping id (what "app start"
takes), name, image, and the address of their running session if any.`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.client(cmd, requestTimeout)
			if err != nil {
				return err
			}
			var apps []wire.UserApplication
			raw, err := c.callJSON(cmd.Context(), http.MethodGet, "/applications", nil, &apps, http.StatusOK)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "MAPPING ID\tNAME\tIMAGE\tRUNNING")
			for _, app := range apps {
				name := app.Image.UIName
				if name == "" {
					name = app.Image.Name
				}
				if !app.Image.Available {
					name += " (image missing)"
				}
				running := "-"
				if app.Container != nil {
					running = app.Container.URL
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", app.MappingID, name, app.Image.Name, running)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON")
	return cmd
}

func (a *appCmd) startCmd() *cobra.Command {
	var resolution, startupData string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "start MAPPING_ID [--resolution WxH] [--startupdata S] [--json]",
		Short: "Start an application and print its address",
		Long: `Start the application of one of your grants (its mapping id, from "app
available") and print the address of the session once the application
answers; this takes up to a minute or so. --resolution sets a desktop's size;
--startupdata passes a path to applications that take one, where the grant's
policy allows it.`,
		Example: "  simphony-remote app start 3f2b8c0e9a4d4c1b8e6f0a1b2c3d4e5f --resolution 1920x1080",
		Args:    args("MAPPING_ID"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if err := checkHex32("MAPPING_ID", argv[0], `"simphony-remote app available"`); err != nil {
				return err
			}
			req := wire.StartRequest{MappingID: argv[0]}
			if cmd.Flags().Changed("resolution") || cmd.Flags().Changed("startupdata") {
				req.Configurables = map[string]string{}
				if cmd.Flags().Changed("resolution") {
					req.Configurables[wire.ConfigResolution] = resolution
				}
				if cmd.Flags().Changed("startupdata") {
					req.Configurables[wire.ConfigStartupData] = startupData
				}
			}
			c, _, err := a.client(cmd, startTimeout)
			if err != nil {
				return err
			}
			// 201: started; 200: it was already running (a start never
			// replaces a running session).
			status, raw, err := c.callStatus(cmd.Context(), http.MethodPost, "/containers", req, http.StatusCreated, http.StatusOK)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			var ctr wire.Container
			if err := json.Unmarshal(raw, &ctr); err != nil {
				return fmt.Errorf("reading the answer of POST /containers: %w", err)
			}
			u := ctr.URL
			if u == "" {
				u = c.base + ctr.URLPath
			}
			if status == http.StatusOK {
				fmt.Fprintf(cmd.ErrOrStderr(), "already running (started %s); stop it first for a fresh one: simphony-remote app stop %s\n", formatTime(ctr.Started), ctr.URLID)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), u)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&resolution, "resolution", "", "the desktop's size, WIDTHxHEIGHT (e.g. 1280x800)")
	f.StringVar(&startupData, "startupdata", "", "startup data for the application (a path in its container)")
	f.BoolVar(&asJSON, "json", false, "print the API's JSON")
	return cmd
}

func (a *appCmd) runningCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "running [--json]",
		Short: "List your running sessions",
		Args:  args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.client(cmd, requestTimeout)
			if err != nil {
				return err
			}
			var ctrs []wire.Container
			raw, err := c.callJSON(cmd.Context(), http.MethodGet, "/containers", nil, &ctrs, http.StatusOK)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "URL ID\tIMAGE\tURL\tSTARTED")
			for _, ctr := range ctrs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ctr.URLID, ctr.Image, ctr.URL, formatTime(ctr.Started))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON")
	return cmd
}

func (a *appCmd) stopCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "stop URL_ID",
		Short: "Stop one of your sessions",
		Long:  `Stop one of your sessions (its url id, from "app running") and remove its container.`,
		Args:  args("URL_ID"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if err := checkHex32("URL_ID", argv[0], `"simphony-remote app running"`); err != nil {
				return err
			}
			c, _, err := a.client(cmd, requestTimeout)
			if err != nil {
				return err
			}
			if _, err := c.call(cmd.Context(), http.MethodDelete, "/containers/"+argv[0], nil, http.StatusNoContent); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "stopped %s\n", argv[0])
			return err
		},
	}
}
