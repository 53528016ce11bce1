package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/websockets"
)

const (
	urlID  = "0123456789abcdef0123456789abcdef"
	downID = "fedcba9876543210fedcba9876543210"
)

// fakeBackend is a narrow Backend for the handler's unit tests; the whole
// path is proven with the real appliance in engine/e2e.
type fakeBackend struct {
	mu          sync.Mutex // guards observed and tunnels, which a tunnel's goroutines touch
	routes      map[string]routes.Route
	user        string // who the request is from; "" for nobody
	served      bool
	unreachable bool
	observed    []int
	relayed     Access
	refused     string // the message of a refusal
	opened      int    // owner's WebSockets admitted
	// tunnels are the owner's WebSockets admitted, ended counts those
	// that have ended (from the tunnel's goroutines).
	tunnels []*websockets.Tunnel
	ended   atomic.Int32
}

func (f *fakeBackend) Identify(*http.Request) (auth.Identity, bool) {
	return auth.Identity{User: f.user}, f.user != ""
}
func (f *fakeBackend) Route(_ context.Context, id string) (routes.Route, bool) {
	r, ok := f.routes[id]
	return r, ok
}
func (f *fakeBackend) Access(id auth.Identity, r routes.Route) Access {
	switch {
	case id.User == r.User:
		return OwnerAccess
	case id.User == "viewer":
		return ViewAccess
	case id.User == "controller":
		return ControlAccess
	}
	return NoAccess
}
func (f *fakeBackend) Relay(w http.ResponseWriter, _ *http.Request, _ auth.Identity, _ routes.Route, a Access) {
	f.relayed = a
	w.WriteHeader(http.StatusSwitchingProtocols)
}
func (f *fakeBackend) OpenWebSocket(http.ResponseWriter, *http.Request, auth.Identity, routes.Route) (func(net.Conn), func(), bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened++
	t := &websockets.Tunnel{}
	f.tunnels = append(f.tunnels, t)
	return t.Attach, func() { f.ended.Add(1) }, true
}
func (f *fakeBackend) Unreachable(w http.ResponseWriter, _ *http.Request, _ routes.Route) {
	f.unreachable = true
	w.WriteHeader(http.StatusBadGateway)
}
func (f *fakeBackend) Refuse(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	f.refused = msg
	w.WriteHeader(status)
}
func (f *fakeBackend) Ticket(auth.Identity, string) (string, error) {
	return "", errors.New("no tickets here")
}
func (f *fakeBackend) Enter(context.Context, string, string) (*http.Cookie, bool) {
	return nil, false
}
func (f *fakeBackend) IdentifyOrigin(*http.Request, string) (auth.Identity, bool) {
	return auth.Identity{}, false
}
func (f *fakeBackend) Observe(status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.observed = append(f.observed, status)
}

// observedStatuses and admitted read what tunnels' goroutines write.
func (f *fakeBackend) observedStatuses() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.observed...)
}

func (f *fakeBackend) admitted() []*websockets.Tunnel {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*websockets.Tunnel(nil), f.tunnels...)
}
func (f *fakeBackend) ServeHTTP(w http.ResponseWriter, _ *http.Request) { f.served = true }

// nextHandler records what the session would have received.
type nextHandler struct {
	called   bool
	upstream any
	header   http.Header
	err      error
	status   int
	set      http.Header // response headers the session sets
}

func (n *nextHandler) forward(w http.ResponseWriter, r *http.Request, addr string) error {
	n.called = true
	n.upstream = addr
	n.header = r.Header.Clone()
	if n.err != nil {
		return n.err
	}
	for k, v := range n.set {
		w.Header()[k] = append(w.Header()[k], v...)
	}
	w.WriteHeader(n.status)
	return nil
}

// forwardTo is a forward that hands the request to next.
func forwardTo(next caddyhttp.HandlerFunc) func(http.ResponseWriter, *http.Request, string) error {
	return func(w http.ResponseWriter, r *http.Request, _ string) error { return next(w, r) }
}

// refusedWith checks that the handler refused through the backend (which
// renders the page or the JSON), with msg when it is not empty.
func refusedWith(msg string) func(t *testing.T, _ *httptest.ResponseRecorder, _ *nextHandler, b *fakeBackend) {
	return func(t *testing.T, _ *httptest.ResponseRecorder, _ *nextHandler, b *fakeBackend) {
		t.Helper()
		if b.refused == "" || (msg != "" && b.refused != msg) {
			t.Errorf("refused with %q, want %q through the backend", b.refused, msg)
		}
	}
}

func serve(t *testing.T, b *fakeBackend, next *nextHandler, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	h := &Handler{b: b, forward: next.forward}
	req = req.WithContext(context.WithValue(req.Context(), caddyhttp.VarsCtxKey, map[string]any{}))
	w := httptest.NewRecorder()
	notNext := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
		t.Error("the next handler was called: the module answers every request itself")
		return nil
	})
	if err := h.ServeHTTP(w, req, notNext); err != nil && next.err == nil {
		t.Fatalf("ServeHTTP: %v", err)
	}
	return w
}

func TestHandler(t *testing.T) {
	base := "/user/alice/containers/" + urlID + "/"
	route := routes.Route{URLID: urlID, User: "alice", Upstream: "127.0.0.1:32768"}
	tests := []struct {
		name       string
		user       string
		method     string
		target     string
		header     http.Header
		next       nextHandler
		wantStatus int
		wantNext   bool
		wantServed bool
		check      func(t *testing.T, w *httptest.ResponseRecorder, n *nextHandler, b *fakeBackend)
	}{
		{name: "not a session", target: "/login", wantServed: true},
		{name: "not a session either", target: "/user/alice/", wantServed: true},
		{name: "anonymous browser", target: base + "x?y=1", header: http.Header{"Accept": {"text/html"}}, wantStatus: http.StatusFound,
			check: func(t *testing.T, w *httptest.ResponseRecorder, _ *nextHandler, _ *fakeBackend) {
				if loc := w.Header().Get("Location"); loc != "/login?next=%2Fuser%2Falice%2Fcontainers%2F"+urlID+"%2Fx%3Fy%3D1" {
					t.Errorf("Location = %q", loc)
				}
			}},
		{name: "anonymous API client", target: base, wantStatus: http.StatusUnauthorized,
			check: func(t *testing.T, w *httptest.ResponseRecorder, _ *nextHandler, _ *fakeBackend) {
				if w.Header().Get("WWW-Authenticate") == "" || !strings.Contains(w.Body.String(), `"type":"unauthorized"`) {
					t.Errorf("401 response: %v %s", w.Header(), w.Body)
				}
			}},
		{name: "another user", user: "bob", target: base, wantStatus: http.StatusNotFound, check: refusedWith(notFound)},
		{name: "another user naming himself", user: "bob", target: "/user/bob/containers/" + urlID + "/", wantStatus: http.StatusNotFound, check: refusedWith(notFound)},
		{name: "no such session", user: "alice", target: "/user/alice/containers/" + strings.Repeat("f", 32) + "/", wantStatus: http.StatusNotFound, check: refusedWith(notFound)},
		{name: "dot-dot segment", user: "alice", target: base + "../x", wantStatus: http.StatusBadRequest, check: refusedWith("")},
		{name: "encoded slash", user: "alice", target: base + "a%2Fb", wantStatus: http.StatusBadRequest},
		{name: "encoded backslash", user: "alice", target: base + "a%5cb", wantStatus: http.StatusBadRequest},
		{name: "no trailing slash", user: "alice", target: strings.TrimSuffix(base, "/"), wantStatus: http.StatusMovedPermanently},
		{name: "cross-site POST", user: "alice", method: "POST", target: base + "upload", header: http.Header{"Sec-Fetch-Site": {"cross-site"}}, wantStatus: http.StatusForbidden},
		{name: "foreign Origin POST", user: "alice", method: "POST", target: base + "upload", header: http.Header{"Origin": {"https://evil.example"}}, wantStatus: http.StatusForbidden},
		{name: "owner", user: "alice", target: base + "index.html", next: nextHandler{status: http.StatusTeapot}, wantStatus: http.StatusTeapot, wantNext: true,
			header: http.Header{
				"Cookie":          {auth.CookieName + "=secret; theme=dark; __Host-simphony-other=x"},
				"Authorization":   {"Bearer sr_token"},
				"X-Remote-User":   {"root"},
				"X-Remote-Groups": {"admins"},
				"Remote-User":     {"root"},
			},
			check: func(t *testing.T, _ *httptest.ResponseRecorder, n *nextHandler, b *fakeBackend) {
				if n.upstream != "127.0.0.1:32768" {
					t.Errorf("forwarded to %v", n.upstream)
				}
				if c := n.header.Get("Cookie"); c != "theme=dark" {
					t.Errorf("Cookie to the session = %q, want only theme=dark", c)
				}
				if n.header.Get("Authorization") != "" || n.header.Get("Remote-User") != "" || n.header.Get("X-Remote-Groups") != "" {
					t.Errorf("credentials or identity headers reach the session: %v", n.header)
				}
				if got := n.header.Values("X-Remote-User"); len(got) != 1 || got[0] != "alice" {
					t.Errorf("X-Remote-User = %q", got)
				}
				if len(b.observed) != 1 || b.observed[0] != http.StatusTeapot {
					t.Errorf("observed %v", b.observed)
				}
			}},
		{name: "an application's own Authorization passes, the appliance's token does not", user: "alice", target: base + "api/contents",
			next: nextHandler{status: http.StatusOK}, wantStatus: http.StatusOK, wantNext: true,
			header: http.Header{"Authorization": {"token jupyter-secret", "token sr_appliance", "Bearer sr_other", "Bearer app-jwt"}},
			check: func(t *testing.T, _ *httptest.ResponseRecorder, n *nextHandler, _ *fakeBackend) {
				if got := n.header.Values("Authorization"); strings.Join(got, "|") != "token jupyter-secret|Bearer app-jwt" {
					t.Errorf("Authorization to the session = %q, want the application's own only", got)
				}
			}},
		{name: "same-origin POST", user: "alice", method: "POST", target: base + "upload", header: http.Header{"Origin": {"https://appliance.test"}, "Sec-Fetch-Site": {"same-origin"}},
			next: nextHandler{status: http.StatusCreated}, wantStatus: http.StatusCreated, wantNext: true},
		{name: "viewer GET", user: "viewer", target: base + "vnc.html", next: nextHandler{status: http.StatusOK}, wantStatus: http.StatusOK, wantNext: true},
		{name: "viewer POST", user: "viewer", method: "POST", target: base + "upload", wantStatus: http.StatusForbidden, check: refusedWith("")},
		{name: "viewer WebSocket", user: "viewer", target: base + "websockify", header: http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}},
			wantStatus: http.StatusSwitchingProtocols,
			check: func(t *testing.T, _ *httptest.ResponseRecorder, _ *nextHandler, b *fakeBackend) {
				if b.relayed != ViewAccess {
					t.Errorf("relayed with %v, want view access", b.relayed)
				}
			}},
		{name: "viewer upgrade with split Connection headers", user: "viewer", target: base + "websockify",
			header:     http.Header{"Upgrade": {"websocket"}, "Connection": {"keep-alive", "Upgrade"}},
			wantStatus: http.StatusSwitchingProtocols,
			check: func(t *testing.T, _ *httptest.ResponseRecorder, _ *nextHandler, b *fakeBackend) {
				if b.relayed != ViewAccess {
					t.Errorf("relayed with %v, want view access (not reverse_proxy)", b.relayed)
				}
			}},
		{name: "controller POST", user: "controller", method: "POST", target: base + "upload", next: nextHandler{status: http.StatusCreated}, wantStatus: http.StatusCreated, wantNext: true},
		{name: "controller WebSocket", user: "controller", target: base + "ws", header: http.Header{"Upgrade": {"websocket"}, "Connection": {"keep-alive, Upgrade"}},
			wantStatus: http.StatusSwitchingProtocols,
			check: func(t *testing.T, _ *httptest.ResponseRecorder, _ *nextHandler, b *fakeBackend) {
				if b.relayed != ControlAccess {
					t.Errorf("relayed with %v, want control access", b.relayed)
				}
			}},
		// The tunnel's own tests (tunnel_test.go) carry WebSockets to a
		// listening application; this one has none.
		{name: "owner WebSocket goes to the tunnel", user: "alice", target: "/user/alice/containers/" + downID + "/ws", header: http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}},
			wantStatus: http.StatusBadGateway,
			check: func(t *testing.T, _ *httptest.ResponseRecorder, _ *nextHandler, b *fakeBackend) {
				if b.opened != 1 || !b.unreachable || len(b.observed) != 1 || b.observed[0] != http.StatusBadGateway {
					t.Errorf("admitted %d WebSockets, unreachable %v, observed %v; want 1, true, [502]", b.opened, b.unreachable, b.observed)
				}
			}},
		{name: "upstream down", user: "alice", target: base, next: nextHandler{err: fmt.Errorf("%w: dial tcp: connection refused", errUnreachable)},
			wantStatus: http.StatusBadGateway, wantNext: true,
			check: func(t *testing.T, _ *httptest.ResponseRecorder, _ *nextHandler, b *fakeBackend) {
				if !b.unreachable {
					t.Error("Unreachable was not called")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Nothing listens on port 1 (tcpmux) of the loopback.
			down := routes.Route{URLID: downID, User: "alice", Upstream: "127.0.0.1:1"}
			b := &fakeBackend{routes: map[string]routes.Route{urlID: route, downID: down}, user: tt.user}
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req := httptest.NewRequest(method, "https://appliance.test"+tt.target, nil)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			next := tt.next
			w := serve(t, b, &next, req)
			if tt.wantServed != b.served || tt.wantNext != next.called {
				t.Fatalf("served by the engine: %v, by the proxy: %v", b.served, next.called)
			}
			if tt.wantStatus != 0 && w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", w.Code, tt.wantStatus, w.Body)
			}
			if tt.check != nil {
				tt.check(t, w, &next, b)
			}
		})
	}
}

func TestProvisionNeedsAnEngine(t *testing.T) {
	backend.Store(nil)
	h := new(Handler)
	if err := h.Provision(caddyctx()); err == nil || !strings.Contains(err.Error(), "only runs inside simphony-remote serve") {
		t.Errorf("Provision without an engine = %v", err)
	}
	SetBackend(&fakeBackend{})
	if err := h.Provision(caddyctx()); err != nil || h.Validate() != nil {
		t.Errorf("Provision with an engine = %v", err)
	}
}

// relayBackend also notes the path a shared user's WebSocket is relayed to.
type relayBackend struct {
	*fakeBackend
	relayedURI string
}

func (b *relayBackend) Relay(w http.ResponseWriter, r *http.Request, id auth.Identity, rt routes.Route, a Access) {
	b.relayedURI = r.URL.RequestURI()
	b.fakeBackend.Relay(w, r, id, rt, a)
}

// TestRepeatedSlashes: noVNC 0.4 asks for //user/{name}/containers/{id}/websockify.
// Such a path reaches the session, authorised exactly as the clean one, and
// the session, the relay and the redirects see the clean path.
func TestRepeatedSlashes(t *testing.T) {
	clean := "/user/alice/containers/" + urlID + "/"
	route := routes.Route{URLID: urlID, User: "alice", Upstream: "127.0.0.1:32768"}
	upgrade := http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}}
	tests := []struct {
		name, user, target string
		header             http.Header
		wantStatus         int
		wantServed         bool
		wantURI            string // what the session (or the relay) is asked for
		wantLocation       string
	}{
		{name: "owner's noVNC 0.4 WebSocket", user: "alice", target: "/" + clean + "websockify", header: upgrade,
			wantStatus: http.StatusSwitchingProtocols, wantURI: clean + "websockify"},
		{name: "slashes everywhere", user: "alice", target: "//user//alice///containers//" + urlID + "/x?y=1",
			wantStatus: http.StatusOK, wantURI: clean + "x?y=1"},
		{name: "slashes after the url id are the application's", user: "alice", target: "/" + clean + "/x",
			wantStatus: http.StatusOK, wantURI: clean + "/x"},
		{name: "an escaped path stays escaped", user: "alice", target: "/" + clean + "a%3Bb%20c",
			wantStatus: http.StatusOK, wantURI: clean + "a%3Bb%20c"},
		{name: "viewer's noVNC 0.4 WebSocket", user: "viewer", target: "/" + clean + "websockify", header: upgrade,
			wantStatus: http.StatusSwitchingProtocols, wantURI: clean + "websockify"},
		{name: "another user", user: "bob", target: "/" + clean + "websockify", header: upgrade, wantStatus: http.StatusNotFound},
		{name: "another user naming himself", user: "bob", target: "//user/bob/containers/" + urlID + "/", wantStatus: http.StatusNotFound},
		{name: "no such session", user: "alice", target: "//user/alice/containers/" + strings.Repeat("f", 32) + "/", wantStatus: http.StatusNotFound},
		{name: "anonymous browser", target: "/" + clean + "x", header: http.Header{"Accept": {"text/html"}},
			wantStatus: http.StatusFound, wantLocation: "/login?next=%2Fuser%2Falice%2Fcontainers%2F" + urlID + "%2Fx"},
		{name: "no trailing slash redirects to the clean path, not to host user", user: "alice", target: "//user/alice/containers/" + urlID,
			wantStatus: http.StatusMovedPermanently, wantLocation: clean},
		{name: "dot-dot segment", user: "alice", target: "/" + clean + "../x", wantStatus: http.StatusBadRequest},
		{name: "encoded slash", user: "alice", target: "/" + clean + "a%2Fb", wantStatus: http.StatusBadRequest},
		{name: "not a session", user: "alice", target: "//user/alice/", wantServed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newUpgradeApp(t, nil)
			route := route
			route.Upstream = app.addr
			b := &relayBackend{fakeBackend: &fakeBackend{routes: map[string]routes.Route{urlID: route}, user: tt.user}}
			req := httptest.NewRequest(http.MethodGet, "https://appliance.test"+tt.target, nil)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			req = req.WithContext(context.WithValue(req.Context(), caddyhttp.VarsCtxKey, map[string]any{}))
			var proxied string
			next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
				proxied = r.URL.RequestURI()
				return nil
			})
			w := newHijackRecorder(t)
			if err := (&Handler{b: b, forward: forwardTo(next)}).ServeHTTP(w, req, nil); err != nil {
				t.Fatal(err)
			}
			code, header := w.settle(t)
			if b.served != tt.wantServed {
				t.Fatalf("served by the engine: %v, want %v (status %d)", b.served, tt.wantServed, code)
			}
			if tt.wantStatus != 0 && code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", code, tt.wantStatus, w.Body)
			}
			if w.hijacked && b.relayedURI == "" {
				proxied = app.lastRequest(t).RequestURI
			}
			if got := proxied + b.relayedURI; got != tt.wantURI {
				t.Errorf("the session was asked for %q, want %q", got, tt.wantURI)
			}
			if loc := header.Get("Location"); loc != tt.wantLocation {
				t.Errorf("Location = %q, want %q", loc, tt.wantLocation)
			}
			if wantOpened := tt.user == "alice" && tt.wantStatus == http.StatusSwitchingProtocols; (b.opened == 1) != wantOpened {
				t.Errorf("owner's WebSockets admitted: %d, want one: %v", b.opened, wantOpened)
			}
			if tt.user == "viewer" && b.relayed != ViewAccess {
				t.Errorf("relayed with %v, want view access", b.relayed)
			}
		})
	}
}
