package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
)

// Client is the Service of a running appliance, through its admin API
// (engine/api.AdminHandler).
type Client struct {
	hc   *http.Client
	base *url.URL
	// where names the appliance in connection errors.
	where string
}

// AdminPath is where the admin API lives under an appliance's base URL.
const AdminPath = "/api/v1/admin"

// NewClient returns a client of the appliance at baseURL (e.g.
// "https://lab.example:8443"), sending its requests with hc. Redirects are
// not followed.
func NewClient(hc *http.Client, baseURL string) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("admin API address %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("admin API address %q: want http(s)://HOST[:PORT][/PATH]", baseURL)
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{hc: &c, base: u, where: u.Redacted()}, nil
}

// DialSocket returns a client of the appliance whose admin socket (a unix
// socket) is at path. It does not connect yet.
func DialSocket(path string) *Client {
	var d net.Dialer
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			return d.DialContext(ctx, "unix", path)
		},
		MaxIdleConns:    2,
		IdleConnTimeout: 30 * time.Second,
	}
	c, _ := NewClient(&http.Client{Transport: tr}, "http://admin.sock") // a constant, valid address
	c.where = "the admin socket " + path
	return c
}

// CloseIdleConnections closes the client's idle connections.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// APIError is an error answer of the API. Its message is the server's, and
// it wraps the accounting sentinel (or ErrUnavailable) its Type stands for.
type APIError struct {
	Status  int
	Type    string
	Message string
	Ref     string
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("the admin API answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return e.Message
}

// Unwrap returns the sentinel error of e's type, if any.
func (e *APIError) Unwrap() error {
	switch e.Type {
	case wire.TypeInvalid:
		return accounting.ErrInvalid
	case wire.TypeNotFound:
		return accounting.ErrNotFound
	case wire.TypeExists:
		return accounting.ErrExists
	case wire.TypeReadOnly:
		return accounting.ErrReadOnly
	case wire.TypeUnavailable:
		return ErrUnavailable
	}
	return nil
}

// cleanable reports whether a server would clean the path segment v away
// ("", ".", ".."): such a value cannot travel in a path, nor name anything.
func cleanable(v string) bool { return v == "" || v == "." || v == ".." }

// userPath is the path of a user, "" for a name that cannot be one.
func userPath(name string) string {
	switch {
	case name == "":
		return "/users/" // the server answers as for any unknown name
	case cleanable(name):
		return ""
	}
	return "/users/" + url.PathEscape(name)
}

// imagePath is the path of an application, "" for a name that cannot be
// one. Image names hold slashes, which stay path separators.
func imagePath(image string) string {
	if image == "" {
		return "/applications/"
	}
	parts := strings.Split(image, "/")
	for i, p := range parts {
		if cleanable(p) {
			return ""
		}
		parts[i] = url.PathEscape(p)
	}
	return "/applications/" + strings.Join(parts, "/")
}

// do sends a request to the admin API and decodes a JSON answer into out
// (unless nil) when the status is want.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any, want int) error {
	resp, err := c.send(ctx, method, path, query, in)
	if err != nil {
		return err
	}
	return c.decode(resp, method, path, out, want)
}

// decode reads an answer into out (unless nil) when its status is want,
// else its error; it closes the body.
func (c *Client) decode(resp *http.Response, method, path string, out any, want int) error {
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return readError(resp)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("reading the answer of %s %s: %w", method, AdminPath+path, err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, method, path string, query url.Values, in any) (*http.Response, error) {
	// path is escaped already: build the URL as text.
	u := c.base.String() + AdminPath + path
	if q := query.Encode(); q != "" {
		u += "?" + q
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encoding the request %s %s: %w", method, AdminPath+path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("preparing %s %s: %w", method, AdminPath+path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("talking to the appliance through %s: %w", c.where, unwrapURL(err))
	}
	return resp, nil
}

// unwrapURL drops the *url.Error around err: its message repeats the URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// readError turns an error answer into an *APIError.
func readError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e wire.Error
	if err := json.Unmarshal(body, &e); err != nil || e.Type == "" {
		snippet := strings.TrimSpace(string(body))
		if len(snippet) > 200 {
			snippet = snippet[:200] + "…"
		}
		return &APIError{Status: resp.StatusCode, Type: wire.TypeInternal,
			Message: fmt.Sprintf("the admin API answered %s: %q", resp.Status, snippet)}
	}
	return &APIError{Status: resp.StatusCode, Type: e.Type, Message: e.Message, Ref: e.Ref}
}
