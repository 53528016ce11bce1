package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/portal"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
)

// fakeSessions are running sessions in a routes table; the legacy tests
// need no containers (the e2e suite runs real ones).
type fakeSessions struct {
	t       *routes.Table
	stopped []string
}

func (f *fakeSessions) Start(context.Context, string, string, map[string]string) (session.Started, error) {
	return session.Started{}, session.ErrInvalid
}
func (f *fakeSessions) Stop(_ context.Context, user, urlID string) error {
	if r, ok := f.t.Get(urlID); !ok || r.User != user {
		return session.ErrNotFound
	}
	f.t.Delete(urlID)
	f.stopped = append(f.stopped, urlID)
	return nil
}
func (f *fakeSessions) StopAny(_ context.Context, urlID, _ string) error {
	if _, ok := f.t.Delete(urlID); !ok {
		return session.ErrNotFound
	}
	f.stopped = append(f.stopped, urlID)
	return nil
}
func (f *fakeSessions) Get(urlID string) (routes.Route, bool) { return f.t.Get(urlID) }
func (f *fakeSessions) List(user string) []routes.Route {
	var out []routes.Route
	for _, r := range f.t.List() {
		if r.User == user {
			out = append(out, r)
		}
	}
	return out
}
func (f *fakeSessions) Routes() *routes.Table                     { return f.t }
func (f *fakeSessions) Subscribe() (<-chan session.Event, func()) { return nil, func() {} }

const (
	desktop   = "simphonyproject/simphony-desktop:0.6.0"
	aliceURL  = "0123456789abcdef0123456789abcdef"
	bobURL    = "fedcba9876543210fedcba9876543210"
	aliceName = "remoteexec-alice-m-1a2b3c"
	bobName   = "remoteexec-bob-m-4d5e6f"
)

type legacyServer struct {
	h        http.Handler
	sessions *fakeSessions
	tokens   map[string]string // user → API token
	mapping  string            // alice's grant
	bobs     string            // bob's grant
}

func newLegacyServer(t *testing.T) *legacyServer {
	t.Helper()
	ctx := t.Context()
	store, err := boltdb.Init(filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if err := store.CreateApplication(ctx, accounting.Application{Image: desktop}); err != nil {
		t.Fatal(err)
	}
	s := &legacyServer{tokens: map[string]string{}}
	toks, err := auth.NewTokens(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []accounting.User{{Name: "alice"}, {Name: "bob"}, {Name: "root", Admin: true}} {
		if err := store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if s.tokens[u.Name], _, err = toks.Create(ctx, u.Name, "test", nil); err != nil {
			t.Fatal(err)
		}
	}
	if s.mapping, err = store.Grant(ctx, "alice", desktop, accounting.Policy{AllowHome: true}); err != nil {
		t.Fatal(err)
	}
	if s.bobs, err = store.Grant(ctx, "bob", desktop, accounting.Policy{}); err != nil {
		t.Fatal(err)
	}
	logins, err := auth.NewLogins(ctx, store, time.Hour, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	table := routes.New()
	table.Put(routes.Route{URLID: aliceURL, User: "alice", MappingID: s.mapping, Image: desktop, ContainerID: "c0ffee01", ContainerName: aliceName})
	table.Put(routes.Route{URLID: bobURL, User: "bob", MappingID: s.bobs, Image: desktop, ContainerID: "c0ffee02", ContainerName: bobName})
	s.sessions = &fakeSessions{t: table}
	image := func(_ context.Context, ref string) (protocol.Image, error) {
		return protocol.ParseImage(ref, "sha256:d1", map[string]string{
			protocol.Namespace + "ui_name": "Desktop", protocol.Namespace + "type": "vncapp",
			protocol.LabelEnvPrefix + "x11-width": "", protocol.LabelEnvPrefix + "x11-height": "", protocol.LabelEnvPrefix + "x11-depth": "",
		})
	}
	s.h = api.NewHandler(api.UserDeps{
		Resolver:     &auth.Resolver{Logins: logins, Tokens: toks, Users: store, IsAdmin: func(u accounting.User) bool { return u.Admin }},
		Portal:       portal.New(portal.Deps{Accounts: store, Sessions: s.sessions, Image: image, Tokens: toks, Logins: logins}),
		Sessions:     s.sessions,
		Image:        image,
		AdminService: admin.NewLocal(store, admin.Options{Running: s.sessions}),
		Realm:        "remoteexec",
		Log:          zerolog.Nop(),
	})
	return s
}

// TestLegacyShapes holds the legacy resources against the shapes of
// simphony-remote's webapi (remoteappmanager/webapi and webapi/admin, and
// their tests), with tokens in both of the schemes clients send.
func TestLegacyShapes(t *testing.T) {
	s := newLegacyServer(t)
	m := s.mapping
	app := func(container string) string {
		return `{"mapping_id":"` + m + `","image":{"name":"` + desktop + `","ui_name":"Desktop","icon_128":"","description":"","type":"vncapp",` +
			`"policy":{"app_license":null,"allow_home":true,"volume_source":null,"volume_target":null,"volume_mode":null,"allow_startup_data":false},` +
			`"configurables":["resolution"]},"container":` + container + `}`
	}
	running := `{"name":"` + aliceName + `","image_name":"` + desktop + `","url_id":"` + aliceURL + `"}`
	tests := []struct {
		name, user, auth, method, path, body string
		status                               int
		want                                 string // the exact JSON, or "" for no body
		location                             string
	}{
		{name: "applications", user: "alice", method: "GET", path: "/user/alice/api/v1/applications/", status: 200,
			want: `{"identifiers":["` + m + `"],"items":{"` + m + `":` + app(running) + `},"offset":0,"total":1}`},
		{name: "applications, token scheme", user: "alice", auth: "token", method: "GET", path: "/user/alice/api/v1/applications/", status: 200,
			want: `{"identifiers":["` + m + `"],"items":{"` + m + `":` + app(running) + `},"offset":0,"total":1}`},
		{name: "an application", user: "alice", method: "GET", path: "/user/alice/api/v1/applications/" + m + "/", status: 200, want: app(running)},
		{name: "an unknown application", user: "alice", method: "GET", path: "/user/alice/api/v1/applications/nope/", status: 404,
			want: `{"type":"NotFound","message":"not found"}`},
		{name: "containers", user: "alice", auth: "token", method: "GET", path: "/user/alice/api/v1/containers/", status: 200,
			want: `{"identifiers":["` + aliceURL + `"],"items":{"` + aliceURL + `":{"name":"` + aliceName + `","image_name":"` + desktop + `","mapping_id":"` + m + `"}},"offset":0,"total":1}`},
		{name: "a container", user: "alice", method: "GET", path: "/user/alice/api/v1/containers/" + aliceURL + "/", status: 200,
			want: `{"name":"` + aliceName + `","image_name":"` + desktop + `","mapping_id":"` + m + `"}`},
		{name: "another user's container", user: "alice", method: "GET", path: "/user/alice/api/v1/containers/" + bobURL + "/", status: 404,
			want: `{"type":"NotFound","message":"not found"}`},
		{name: "another user's path", user: "alice", method: "GET", path: "/user/bob/api/v1/containers/", status: 404,
			want: `{"type":"NotFound","message":"not found"}`},
		{name: "stopping another user's container", user: "alice", method: "DELETE", path: "/user/alice/api/v1/containers/" + bobURL + "/", status: 404,
			want: `{"type":"NotFound","message":"not found"}`},
		{name: "a user creating an application", user: "alice", method: "POST", path: "/user/alice/api/v1/applications/", body: `{"image_name":"x"}`, status: 404,
			want: `{"type":"NotFound","message":"not found"}`},
		{name: "a user removing an application", user: "alice", method: "DELETE", path: "/user/alice/api/v1/applications/" + desktop + "/", status: 404,
			want: `{"type":"NotFound","message":"not found"}`},

		// Administrators: simphony-remote 2.x's admin resources.
		{name: "admin: every container", user: "root", auth: "token", method: "GET", path: "/user/root/api/v1/containers/", status: 200,
			want: `{"identifiers":["` + aliceURL + `","` + bobURL + `"],"items":{` +
				`"` + aliceURL + `":{"name":"` + aliceName + `","image_name":"` + desktop + `","mapping_id":"` + m + `","docker_id":"c0ffee01","image_id":"sha256:d1","user":"alice","realm":"remoteexec"},` +
				`"` + bobURL + `":{"name":"` + bobName + `","image_name":"` + desktop + `","mapping_id":"` + s.bobs + `","docker_id":"c0ffee02","image_id":"sha256:d1","user":"bob","realm":"remoteexec"}},"offset":0,"total":2}`},
		{name: "admin: every application", user: "root", method: "GET", path: "/user/root/api/v1/applications/", status: 200,
			want: `{"identifiers":["` + desktop + `"],"items":{"` + desktop + `":{"image_name":"` + desktop + `"}},"offset":0,"total":1}`},
		{name: "admin: create an application", user: "root", method: "POST", path: "/user/root/api/v1/applications/", body: `{"image_name":"lab/new:1"}`, status: 201,
			location: "/user/root/api/v1/applications/lab/new:1/"},
		{name: "admin: create it again", user: "root", method: "POST", path: "/user/root/api/v1/applications/", body: `{"image_name":"lab/new:1"}`, status: 409,
			want: `{"type":"Exists","message":"creating application lab/new:1: application already exists"}`},
		{name: "admin: create without a name", user: "root", method: "POST", path: "/user/root/api/v1/applications/", body: `{"image_name":""}`, status: 400,
			want: `{"type":"BadRepresentation","message":"missing image_name"}`},
		{name: "admin: remove an application", user: "root", method: "DELETE", path: "/user/root/api/v1/applications/lab/new:1/", status: 204},
		{name: "admin: remove it again", user: "root", method: "DELETE", path: "/user/root/api/v1/applications/lab/new:1/", status: 404,
			want: `{"type":"NotFound","message":"not found"}`},
		{name: "admin: stop another user's container", user: "root", method: "DELETE", path: "/user/root/api/v1/containers/" + bobURL + "/", status: 204},
		{name: "admin: stop it again", user: "root", method: "DELETE", path: "/user/root/api/v1/containers/" + bobURL + "/", status: 404,
			want: `{"type":"NotFound","message":"not found"}`},
		{name: "no credentials", method: "GET", path: "/user/alice/api/v1/applications/", status: 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			if tc.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			if tc.user != "" {
				scheme := "Bearer"
				if tc.auth != "" {
					scheme = tc.auth
				}
				r.Header.Set("Authorization", scheme+" "+s.tokens[tc.user])
			}
			w := httptest.NewRecorder()
			s.h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("%s %s: %d, want %d: %s", tc.method, tc.path, w.Code, tc.status, w.Body)
			}
			if tc.want != "" {
				if got, want := compact(t, w.Body.String()), compact(t, tc.want); got != want {
					t.Errorf("answer:\n%s\nwant:\n%s", got, want)
				}
			}
			if loc := w.Header().Get("Location"); loc != tc.location {
				t.Errorf("Location = %q, want %q", loc, tc.location)
			}
		})
	}
	if got := strings.Join(s.sessions.stopped, ","); got != bobURL {
		t.Errorf("stopped %q, want only bob's session", got)
	}
}

// TestLegacyNotRunning: an application that does not run has a null
// container, as the original's resource had.
func TestLegacyNotRunning(t *testing.T) {
	s := newLegacyServer(t)
	s.sessions.t.Delete(aliceURL)
	r := httptest.NewRequest("GET", "/user/alice/api/v1/applications/"+s.mapping+"/", nil)
	r.Header.Set("Authorization", "token "+s.tokens["alice"])
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(compact(t, w.Body.String()), `"container":null`) || !strings.Contains(w.Body.String(), `"mapping_id":"`+s.mapping+`"`) {
		t.Errorf("a stopped application: %d %s", w.Code, w.Body)
	}
}
