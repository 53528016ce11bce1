package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/human"
)

// maxTokenName bounds an API token's name (TokenRequest in the API).
const maxTokenName = 100

type loginOptions struct {
	username      string
	passwordStdin bool
	insecure      bool
	ca            string
	tokenName     string
}

func (a *appCmd) loginCmd() *cobra.Command {
	var o loginOptions
	cmd := &cobra.Command{
		Use:   "login URL [--username U] [--password-stdin] [--insecure | --ca FILE] [--token-name NAME] [--credentials-file FILE]",
		Short: "Sign in to an appliance and store an API token",
		Long: `Sign in to the appliance at URL (https://HOST[:PORT]) with a user name and
password, create an API token, and store it for the other app commands in
$XDG_CONFIG_HOME/simphony-remote/client.json (~/.config/... by default), or
in --credentials-file FILE, mode 0600. The browser session used to create it
is signed out again. A token stored before in the same file is revoked; other
files, e.g. the sign-ins to other appliances, stay as they are.

The password is asked for without echo on a terminal; with --password-stdin
it is read from standard input (then --username is needed).

An appliance with its own certificate authority (the default) needs
--ca FILE with its root certificate: DATA_DIR/caddy/pki/authorities/local/root.crt
on its machine, or URL/ca.crt (check its fingerprint against the sign-in
page's). --insecure skips the check.`,
		Example: `  simphony-remote app login https://lab.example:8443 --ca root.crt
  simphony-remote app login https://other.example:8443 --ca other.crt --credentials-file ~/.other-lab.json
  printf '%s\n' "$PASSWORD" | simphony-remote app login https://localhost:8443 --username alice --password-stdin --ca data/caddy/pki/authorities/local/root.crt`,
		Args: args("URL"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.login(cmd, argv[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.username, "username", "", "the user name (asked for when not given)")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "read the password from standard input")
	f.BoolVar(&o.insecure, "insecure", false, "do not check the appliance's certificate (not recommended)")
	f.StringVar(&o.ca, "ca", "", "trust the certificate authority in this PEM file (the appliance's root.crt)")
	f.StringVar(&o.tokenName, "token-name", "", `the API token's name (default "simphony-remote app on HOSTNAME")`)
	cmd.MarkFlagsMutuallyExclusive("insecure", "ca")
	return cmd
}

// applianceURL checks an appliance's address: https://HOST[:PORT], with at
// most a trailing slash.
func applianceURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	bad := func(why string) error {
		return usageError{fmt.Errorf("URL %q: %s; want the appliance's address, https://HOST[:PORT]", raw, why)}
	}
	switch {
	case err != nil:
		return "", bad("not a URL")
	case u.Scheme != "https":
		return "", bad("not https")
	case u.Host == "" || u.User != nil:
		return "", bad("no host")
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "":
		return "", bad("it has a path")
	}
	return "https://" + u.Host, nil
}

func (a *appCmd) login(cmd *cobra.Command, rawURL string, o loginOptions) error {
	base, err := applianceURL(rawURL)
	if err != nil {
		return err
	}
	if o.passwordStdin && o.username == "" {
		return usageError{errors.New("--password-stdin needs --username: standard input holds the password")}
	}
	ca := o.ca
	if ca != "" {
		if ca, err = filepath.Abs(ca); err != nil {
			return fmt.Errorf("--ca %s: %w", o.ca, err)
		}
	}
	hc, err := newHTTPClient(ca, o.insecure)
	if err != nil {
		return fmt.Errorf("--ca: %w", err)
	}
	path, err := a.credentialsPath()
	if err != nil {
		return err
	}
	name, password, err := a.credentials(cmd, o)
	if err != nil {
		return err
	}
	tokenName := o.tokenName
	if tokenName == "" {
		tokenName = "simphony-remote app"
		if host, err := os.Hostname(); err == nil && host != "" {
			tokenName += " on " + host
		}
		if len(tokenName) > maxTokenName {
			tokenName = tokenName[:maxTokenName]
		}
	}
	previous, _, prevErr := a.loadClientConfig(func(string) {})

	c := &apiClient{hc: hc, base: base, timeout: requestTimeout, certHint: caHint(base)}
	ctx := cmd.Context()
	s, err := c.signIn(ctx, name, password)
	if err != nil {
		return err
	}
	// From here on the browser session exists: sign it out whatever happens.
	me, tok, err := s.createToken(ctx, tokenName)
	if err == nil {
		err = saveClientConfig(path, clientConfig{URL: base, User: me.Name, Token: tok.Secret, TokenID: tok.ID, CA: ca, Insecure: o.insecure}, a.credFile == "")
		if err != nil {
			if rerr := s.revokeToken(ctx, tok.ID); rerr != nil {
				err = fmt.Errorf("%w (and revoking the new token %s failed: %v)", err, tok.ID, rerr)
			}
		}
	}
	if lerr := s.signOut(ctx); lerr != nil {
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "Warning: signing out the browser session used to create the token failed: %v; it ends by itself when idle\n", lerr)
	}
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "signed in to %s as %s; API token %q stored in %s\n", base, me.Name, tokenName, path)
	if prevErr == nil && previous.TokenID != "" && previous.TokenID != tok.ID {
		a.revokePrevious(cmd, previous)
	}
	return nil
}

// credentials gets the user name and password from the flags, standard
// input or the terminal.
func (a *appCmd) credentials(cmd *cobra.Command, o loginOptions) (string, string, error) {
	if o.passwordStdin {
		data, err := io.ReadAll(io.LimitReader(a.env.stdin, auth.MaxPasswordLen+3))
		if err != nil {
			return "", "", fmt.Errorf("reading the password from standard input: %w", err)
		}
		pw := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
		if pw == "" {
			return "", "", errors.New("--password-stdin: standard input is empty; pipe the password in, e.g. printf '%s\\n' \"$PASSWORD\" | simphony-remote app login URL --username NAME --password-stdin")
		}
		return o.username, pw, nil
	}
	f, ok := a.env.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", "", usageError{errors.New("standard input is not a terminal to ask for the password: pass --username NAME --password-stdin and pipe the password in")}
	}
	prompt := cmd.ErrOrStderr()
	name := o.username
	if name == "" {
		fmt.Fprint(prompt, "User name: ")
		line, err := bufio.NewReader(f).ReadString('\n')
		if err != nil && line == "" {
			return "", "", fmt.Errorf("reading the user name: %w", err)
		}
		if name = strings.TrimSpace(line); name == "" {
			return "", "", errors.New("no user name given")
		}
	}
	fmt.Fprintf(prompt, "Password for %s: ", name)
	pw, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(prompt)
	if err != nil {
		return "", "", fmt.Errorf("reading the password: %w", err)
	}
	if len(pw) == 0 {
		return "", "", errors.New("no password given")
	}
	return name, string(pw), nil
}

// browserSession is a cookie sign-in, used only to create a token.
type browserSession struct {
	c      *apiClient
	cookie string
	csrf   string
}

// cookieAuth authenticates as a browser of the same origin.
func (s *browserSession) cookieAuth(r *http.Request) {
	r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: s.cookie})
	r.Header.Set("Origin", s.c.base)
	if s.csrf != "" && r.Method != http.MethodGet {
		r.Header.Set("X-CSRF-Token", s.csrf)
	}
}

// signIn posts the sign-in form and keeps the session cookie.
func (c *apiClient) signIn(ctx context.Context, name, password string) (*browserSession, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	form := url.Values{"username": {name}, "password": {password}, "next": {"/"}}
	resp, err := c.send(ctx, http.MethodPost, "/login", "application/x-www-form-urlencoded", []byte(form.Encode()),
		func(r *http.Request) { r.Header.Set("Origin", c.base) })
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	switch resp.StatusCode {
	case http.StatusSeeOther, http.StatusFound:
		for _, ck := range resp.Cookies() {
			if ck.Name == auth.CookieName && ck.Value != "" {
				return &browserSession{c: c, cookie: ck.Value}, nil
			}
		}
		return nil, fmt.Errorf("signing in to %s: it accepted the sign-in but set no session cookie; is it a SimPhoNy Remote appliance?", c.base)
	case http.StatusUnauthorized:
		return nil, fmt.Errorf("signing in to %s as %s: wrong user name or password", c.base, name)
	case http.StatusTooManyRequests:
		return nil, fmt.Errorf("signing in to %s as %s: sign-in is locked after too many failed attempts; %s", c.base, name, retryAfter(resp.Header.Get("Retry-After"), time.Now()))
	case http.StatusForbidden:
		return nil, fmt.Errorf("signing in to %s: the appliance refused the sign-in form (403 Forbidden); is %s the address it is served at?", c.base, c.base)
	}
	return nil, fmt.Errorf("signing in to %s: it answered %s to the sign-in form; is it a SimPhoNy Remote appliance?", c.base, resp.Status)
}

// retryAfter tells when to try again from a Retry-After header (seconds or
// an HTTP date).
func retryAfter(v string, now time.Time) string {
	var at time.Time
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs >= 0 {
		at = now.Add(time.Duration(secs) * time.Second)
	} else if t, err := http.ParseTime(v); err == nil {
		at = t
	} else {
		return "try again later"
	}
	return fmt.Sprintf("try again in %s (at %s)", human.Duration(at.Sub(now)), at.Local().Format("15:04:05"))
}

// createToken reads the CSRF token of the session and creates an API token.
func (s *browserSession) createToken(ctx context.Context, name string) (wire.Me, wire.Token, error) {
	c := *s.c
	c.auth = s.cookieAuth
	var me wire.Me
	if _, err := c.callJSON(ctx, http.MethodGet, "/me", nil, &me, http.StatusOK); err != nil {
		return me, wire.Token{}, fmt.Errorf("reading who signed in: %w", err)
	}
	if me.CSRFToken == "" {
		return me, wire.Token{}, fmt.Errorf("reading who signed in: %s%s/me gave no csrf_token", c.base, apiPath)
	}
	s.csrf = me.CSRFToken
	var tok wire.Token
	if _, err := c.callJSON(ctx, http.MethodPost, "/tokens", wire.TokenRequest{Name: name}, &tok, http.StatusCreated); err != nil {
		return me, tok, fmt.Errorf("creating an API token: %w", err)
	}
	if tok.Secret == "" || tok.ID == "" {
		return me, tok, fmt.Errorf("creating an API token: the answer has no token or id")
	}
	return me, tok, nil
}

// revokeToken revokes an API token.
func (s *browserSession) revokeToken(ctx context.Context, id string) error {
	c := *s.c
	c.auth = s.cookieAuth
	_, err := c.call(ctx, http.MethodDelete, "/tokens/"+url.PathEscape(id), nil, http.StatusNoContent)
	return err
}

// signOut ends the browser session.
func (s *browserSession) signOut(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.c.timeout)
	defer cancel()
	form := url.Values{"csrf_token": {s.csrf}}
	resp, err := s.c.send(ctx, http.MethodPost, "/logout", "application/x-www-form-urlencoded", []byte(form.Encode()), s.cookieAuth)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		return fmt.Errorf("%s/logout answered %s", s.c.base, resp.Status)
	}
	return nil
}

// revokePrevious revokes the token of an earlier sign-in, which the new
// one replaced; failures are only reported.
func (a *appCmd) revokePrevious(cmd *cobra.Command, prev clientConfig) {
	warn := func(err error) {
		fmt.Fprintf(cmd.ErrOrStderr(), "Warning: the earlier sign-in to %s as %s is replaced, but its token %s could not be revoked: %v\n", prev.URL, prev.User, prev.TokenID, err)
	}
	hc, err := newHTTPClient(prev.CA, prev.Insecure)
	if err != nil {
		warn(err)
		return
	}
	c := &apiClient{hc: hc, base: prev.URL, timeout: 10 * time.Second, auth: bearer(prev.Token)}
	_, err = c.call(cmd.Context(), http.MethodDelete, "/tokens/"+url.PathEscape(prev.TokenID), nil, http.StatusNoContent)
	var ae *apiError
	if err != nil && !(errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusNotFound)) {
		warn(err)
	}
}

func (a *appCmd) logoutCmd() *cobra.Command {
	var local bool
	cmd := &cobra.Command{
		Use:   "logout [--local]",
		Short: "Revoke the stored API token and forget it",
		Long: `Revoke the stored API token on the appliance and remove the file that holds
it. With --local the file is removed without asking the appliance (its token
stays valid until revoked from the portal).`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			conf, path, err := a.loadClientConfig(func(string) {})
			if err != nil {
				return err
			}
			what := "its token stays valid until revoked in the portal"
			if !local {
				c, _, err := a.client(cmd, requestTimeout)
				if err != nil {
					return err
				}
				_, err = c.call(cmd.Context(), http.MethodDelete, "/tokens/"+url.PathEscape(conf.TokenID), nil, http.StatusNoContent)
				var ae *apiError
				switch {
				case err == nil:
					what = "revoked its token"
				case errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusNotFound):
					what = "its token was no longer valid"
				default:
					return fmt.Errorf("revoking the API token: %w (--local forgets it without revoking it)", err)
				}
			}
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("forgetting the sign-in: %w", err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "signed out of %s as %s (%s); removed %s\n", conf.URL, conf.User, what, path)
			return err
		},
	}
	cmd.Flags().BoolVar(&local, "local", false, "only forget the token, without revoking it on the appliance")
	return cmd
}
