// Package appliancetest starts a whole appliance in the test process, on a
// free port with a temporary data directory, over real HTTPS, for
// end-to-end tests. Caddy is a process-wide singleton: one appliance at a
// time per test binary.
package appliancetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/appliance"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/logging"
)

// Server is a running appliance.
type Server struct {
	tb     testing.TB
	Config config.Config
	// URL is https://127.0.0.1:PORT (no trailing slash).
	URL string
	// AdminPassword is the first administrator's password.
	AdminPassword string
	// App is the running appliance (its store, sessions, ...).
	App *appliance.Appliance
	// Out is what the appliance printed for the operator.
	Out *SafeBuffer

	opts []Option
	// unready: do not wait for /readyz (Docker may be away on purpose).
	unready bool
	cancel  context.CancelFunc
	done    chan error
}

// Option changes the configuration or the appliance options.
type Option func(*config.Config, *appliance.Options)

// WithConfig changes the configuration.
func WithConfig(f func(*config.Config)) Option {
	return func(c *config.Config, _ *appliance.Options) { f(c) }
}

// SafeBuffer is a bytes.Buffer safe for concurrent use.
type SafeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SafeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SafeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// FreePort returns a TCP port that was free a moment ago on 127.0.0.1.
func FreePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Start starts an appliance, waits until it is ready (/readyz: the running
// sessions are known), and stops it when the test ends.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	return start(tb, false, opts)
}

// StartUnready starts an appliance and waits only until it answers HTTPS,
// ready or not: for a Docker Engine that is away on purpose.
func StartUnready(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	return start(tb, true, opts)
}

func start(tb testing.TB, unready bool, opts []Option) *Server {
	tb.Helper()
	cfg := config.Default()
	cfg.DataDir = tb.TempDir()
	cfg.Listen = fmt.Sprintf("127.0.0.1:%d", FreePort(tb))
	cfg.Realm = "e2e-" + strings.ToLower(randomWord())
	cfg.Log.Format = "json"
	cfg.Log.Level = "debug"
	cfg.Sessions.StartTimeout = config.Duration(30 * time.Second)
	s := &Server{tb: tb, Config: cfg, AdminPassword: "admin-password-" + randomWord(), opts: opts, Out: &SafeBuffer{}, unready: unready}
	s.start()
	tb.Cleanup(s.Stop)
	return s
}

func randomWord() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

func (s *Server) start() {
	tb := s.tb
	tb.Helper()
	aopts := appliance.Options{Out: s.Out, AdminPassword: s.AdminPassword}
	for _, o := range s.opts {
		o(&s.Config, &aopts)
	}
	ready := make(chan *appliance.Appliance, 1)
	aopts.OnReady = func(a *appliance.Appliance) { ready <- a }
	// As serve does: the recent lines in a ring, for admin.Service.Log.
	if aopts.LogRing == nil {
		aopts.LogRing = logging.NewRing(logging.RingSize)
	}
	log := zerolog.New(zerolog.MultiLevelWriter(zerolog.NewTestWriter(tb), aopts.LogRing)).Level(zerolog.DebugLevel).With().Timestamp().Logger()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan error, 1)
	go func() { s.done <- appliance.Run(ctx, s.Config, log, aopts) }()
	select {
	case s.App = <-ready:
	case err := <-s.done:
		cancel()
		tb.Fatalf("the appliance did not start: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		tb.Fatal("the appliance did not start within 60 s")
	}
	_, port, _ := net.SplitHostPort(s.Config.Listen)
	s.URL = "https://127.0.0.1:" + port
	// Wait until HTTPS answers with a certificate from the local CA, and
	// the appliance is ready unless told otherwise.
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := s.Client().Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if s.unready || resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("/readyz: %s", resp.Status)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the appliance was not ready within 30 s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop shuts the appliance down and waits for it.
func (s *Server) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			s.tb.Errorf("the appliance stopped with: %v", err)
		}
	case <-time.After(30 * time.Second):
		s.tb.Error("the appliance did not stop within 30 s")
	}
}

// Restart stops the appliance and starts it again on the same data
// directory and port.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	s.start()
}

// CAPool trusts the appliance's local CA.
func (s *Server) CAPool() *x509.CertPool {
	s.tb.Helper()
	pemBytes, err := os.ReadFile(s.Config.DataDir + "/caddy/pki/authorities/local/root.crt")
	if err != nil {
		s.tb.Fatalf("reading the local CA: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		s.tb.Fatal("the local CA's root is not PEM")
	}
	return pool
}

// Client returns an HTTPS client that trusts the local CA, keeps no
// cookies and does not follow redirects.
func (s *Server) Client() *http.Client {
	return &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CAPool()}},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: 60 * time.Second,
	}
}

// Browser is a client with cookies, as a browser signed in to the
// appliance: it sends Origin on unsafe requests and knows its CSRF token.
type Browser struct {
	*http.Client
	s    *Server
	CSRF string
}

// NewBrowser returns a browser with no session.
func (s *Server) NewBrowser() *Browser {
	c := s.Client()
	jar, _ := cookiejar.New(nil)
	c.Jar = jar
	return &Browser{Client: c, s: s}
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// Login signs in and returns the signed-in browser.
func (s *Server) Login(user, password string) *Browser {
	s.tb.Helper()
	b := s.NewBrowser()
	resp := b.PostForm("/login", url.Values{"username": {user}, "password": {password}, "next": {"/"}})
	if resp.StatusCode != http.StatusSeeOther {
		s.tb.Fatalf("signing in as %s: %d %s", user, resp.StatusCode, ReadBody(resp))
	}
	resp.Body.Close()
	b.RefreshCSRF()
	return b
}

// RefreshCSRF reads the CSRF token from the portal.
func (b *Browser) RefreshCSRF() {
	b.s.tb.Helper()
	body := ReadBody(b.Do("GET", "/", nil, nil))
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		b.s.tb.Fatalf("no CSRF token on the portal:\n%s", body)
	}
	b.CSRF = m[1]
}

// Do sends a request to a path of the appliance, as a browser would (with
// Origin on unsafe methods).
func (b *Browser) Do(method, path string, body io.Reader, hdr http.Header) *http.Response {
	b.s.tb.Helper()
	req, err := http.NewRequest(method, b.s.URL+path, body)
	if err != nil {
		b.s.tb.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if method != http.MethodGet && method != http.MethodHead && req.Header.Get("Origin") == "" {
		req.Header.Set("Origin", b.s.URL)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "text/html")
	}
	resp, err := b.Client.Do(req)
	if err != nil {
		b.s.tb.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// PostForm posts a form (adding the CSRF token when known).
func (b *Browser) PostForm(path string, form url.Values) *http.Response {
	b.s.tb.Helper()
	if b.CSRF != "" && form.Get("csrf_token") == "" {
		form.Set("csrf_token", b.CSRF)
	}
	return b.Do(http.MethodPost, path, strings.NewReader(form.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

// ReadBody reads and closes a response body.
func ReadBody(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
