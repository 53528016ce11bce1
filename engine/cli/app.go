package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"time"

	"github.com/spf13/cobra"
)

// appCmd is `simphony-remote app`: the REST client of a running appliance
// (the original's remoteapprest), through its JSON API with an API token
// that `app login` stores.
type appCmd struct {
	env *env
	// credFile is --credentials-file: where the sign-in is kept instead
	// of the user's configuration directory.
	credFile string
}

func newApp(e *env) *cobra.Command {
	a := &appCmd{env: e}
	cmd := &cobra.Command{
		Use:   "app",
		Short: "Use a running appliance's API: sign in, list, start, stop and share sessions",
		Long: `Use a running appliance through its JSON API, as a signed-in user.

"app login URL" signs in once and stores an API token in
$XDG_CONFIG_HOME/simphony-remote/client.json (~/.config/... by default, mode
0600); the other commands use it. "app logout" revokes it.

--credentials-file FILE keeps the sign-in in FILE instead, on every app
command: one file per appliance (or per account) lets one user work with
several.`,
		Example: `  simphony-remote app login https://lab.example:8443 --ca root.crt
  simphony-remote app available
  simphony-remote app start 3f2b8c0e9a4d4c1b8e6f0a1b2c3d4e5f --resolution 1280x800
  simphony-remote app running
  simphony-remote app share 0f3a9c5d2b7e4f1a8c6d0e9b3a5f7c21 bob --expires 2h
  simphony-remote app stop 0f3a9c5d2b7e4f1a8c6d0e9b3a5f7c21`,
	}
	cmd.PersistentFlags().StringVar(&a.credFile, "credentials-file", "", "the file that keeps the sign-in (default $XDG_CONFIG_HOME/simphony-remote/client.json)")
	cmd.AddCommand(a.loginCmd(), a.logoutCmd(), a.availableCmd(), a.startCmd(), a.runningCmd(), a.stopCmd(),
		a.shareCmd(), a.unshareCmd(), a.sharesCmd())
	return cmd
}

// client returns a client of the appliance the stored sign-in names,
// authenticated with its token.
func (a *appCmd) client(cmd *cobra.Command, timeout time.Duration) (*apiClient, clientConfig, error) {
	conf, _, err := a.loadClientConfig(func(w string) { fmt.Fprintln(cmd.ErrOrStderr(), "Warning: "+w) })
	if err != nil {
		return nil, conf, err
	}
	hc, err := newHTTPClient(conf.CA, conf.Insecure)
	if err != nil {
		return nil, conf, fmt.Errorf("%w; run simphony-remote app login %s again", err, conf.URL)
	}
	return &apiClient{
		hc: hc, base: conf.URL, timeout: timeout, auth: bearer(conf.Token),
		certHint: "Sign in again with the appliance's root certificate: simphony-remote app login " + conf.URL + " --ca FILE (or --insecure)",
	}, conf, nil
}

// printJSON prints an answer of the API as it is, indented.
func printJSON(w io.Writer, raw []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(raw), "", "  "); err != nil {
		return fmt.Errorf("the appliance's answer is not JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// formatTime shows a time of the API in the local time zone.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

var hex32RE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// checkHex32 checks an id argument (a mapping id or a url id).
func checkHex32(what, v, from string) error {
	if !hex32RE.MatchString(v) {
		return usageError{fmt.Errorf("%s %q: want 32 hexadecimal digits, as %s shows", what, v, from)}
	}
	return nil
}

// pathSegment escapes a user name for a path; names that a server would
// clean away cannot be one.
func pathSegment(what, v string) (string, error) {
	if v == "" || v == "." || v == ".." {
		return "", usageError{fmt.Errorf("%s %q: not a user name", what, v)}
	}
	return url.PathEscape(v), nil
}
