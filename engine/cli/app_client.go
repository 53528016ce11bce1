package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/human"
)

// Timeouts of the app commands' requests. A start answers once the
// application answers HTTP, which the appliance bounds (one minute by
// default); the rest answer at once.
const (
	requestTimeout = 30 * time.Second
	startTimeout   = 3 * time.Minute
)

// apiPath is where the JSON API lives on an appliance.
const apiPath = "/api/v1"

// apiClient talks to an appliance's JSON API.
type apiClient struct {
	hc      *http.Client
	base    string // https://HOST[:PORT], no trailing slash
	timeout time.Duration
	// auth sets the request's credentials.
	auth func(*http.Request)
	// certHint says what to do about an untrusted certificate.
	certHint string
}

// newHTTPClient returns a client that trusts the system's certificate
// authorities plus the one in caFile (unless ""), or with insecure nothing
// at all. It never follows redirects.
func newHTTPClient(caFile string, insecure bool) (*http.Client, error) {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case insecure:
		tlsConf.InsecureSkipVerify = true // asked for with --insecure
	case caFile != "":
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("reading the certificate authority: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate (want the appliance's root certificate, root.crt or ca.crt)", caFile)
		}
		tlsConf.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// apiError is an error answer of the API; its message is the server's.
type apiError struct {
	Status  int
	Type    string
	Message string
	Ref     string
	// hint follows the message, for what the user may do about it.
	hint string
}

func (e *apiError) Error() string {
	msg := e.Message
	if e.hint != "" {
		msg += "; " + e.hint
	}
	return msg
}

// readAPIError turns an error answer into an *apiError.
func readAPIError(resp *http.Response, base string) *apiError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var we wire.Error
	if err := json.Unmarshal(body, &we); err != nil || we.Type == "" || we.Message == "" {
		snippet := strings.Join(strings.Fields(string(body)), " ")
		if len(snippet) > 200 {
			snippet = snippet[:200] + "…"
		}
		msg := fmt.Sprintf("%s answered %s", base, resp.Status)
		if snippet != "" {
			msg += ": " + snippet
		}
		return &apiError{Status: resp.StatusCode, Message: msg}
	}
	return &apiError{Status: resp.StatusCode, Type: we.Type, Message: we.Message, Ref: we.Ref}
}

// send makes one request: body (unless nil) is sent as is with
// contentType.
func (c *apiClient) send(ctx context.Context, method, path, contentType string, body []byte, auth func(*http.Request)) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("preparing %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", "simphony-remote-app")
	if auth != nil {
		auth(req)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	return resp, nil
}

// call sends a JSON API request (in marshalled as its body unless nil) and
// returns the answer's body when its status is one of want; any other
// status is an *apiError.
func (c *apiClient) call(ctx context.Context, method, path string, in any, want ...int) ([]byte, error) {
	_, raw, err := c.callStatus(ctx, method, path, in, want...)
	return raw, err
}

// callStatus is call, also returning the answer's status.
func (c *apiClient) callStatus(ctx context.Context, method, path string, in any, want ...int) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, nil, fmt.Errorf("encoding the request %s %s: %w", method, path, err)
		}
	}
	resp, err := c.send(ctx, method, apiPath+path, "application/json", body, func(r *http.Request) {
		r.Header.Set("Accept", "application/json")
		if c.auth != nil {
			c.auth(r)
		}
	})
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	if !slices.Contains(want, resp.StatusCode) {
		e := readAPIError(resp, c.base)
		if e.Status == http.StatusUnauthorized {
			e.hint = "sign in again: simphony-remote app login " + c.base
		}
		return 0, nil, e
	}
	out, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("reading the answer of %s %s: %w", method, apiPath+path, c.transportError(ctx, err))
	}
	return resp.StatusCode, out, nil
}

// callJSON is call, decoding the answer into out.
func (c *apiClient) callJSON(ctx context.Context, method, path string, in, out any, want ...int) ([]byte, error) {
	raw, err := c.call(ctx, method, path, in, want...)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, fmt.Errorf("reading the answer of %s %s: %w", method, apiPath+path, err)
	}
	return raw, nil
}

// transportError explains a failure to get an answer at all.
func (c *apiClient) transportError(ctx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer from %s within %s", c.base, human.Duration(c.timeout))
	}
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &unknown):
		return fmt.Errorf("the certificate of %s is not trusted: it is signed by an unknown authority. %s", c.base, c.certHint)
	case errors.As(err, &hostname):
		return fmt.Errorf("the certificate of %s is not valid for that name (%v). %s", c.base, hostname, c.certHint)
	case errors.As(err, &invalid):
		return fmt.Errorf("the certificate of %s is not valid (%v). %s", c.base, invalid, c.certHint)
	case errors.As(err, &verify):
		return fmt.Errorf("the certificate of %s is not trusted (%v). %s", c.base, verify.Err, c.certHint)
	}
	return fmt.Errorf("talking to %s: %w", c.base, err)
}

// bearer authenticates requests with an API token.
func bearer(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// caHint is what to do about an untrusted certificate at sign-in.
func caHint(base string) string {
	return "If the appliance uses its own certificate authority (the default), pass its root certificate with --ca FILE: " +
		"DATA_DIR/caddy/pki/authorities/local/root.crt on the appliance's machine, or " + base + "/ca.crt " +
		"(compare its fingerprint with the one on the sign-in page). Or pass --insecure to skip the check (not recommended)"
}
