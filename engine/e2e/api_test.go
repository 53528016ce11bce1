package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/auth"
)

// caller is an API client: a bearer token, or nobody.
type caller struct {
	t     *testing.T
	s     *appliancetest.Server
	name  string
	token string
	// scheme of the Authorization header: "Bearer" when empty; "token"
	// for simphony-remote's REST clients.
	scheme string
}

func (c caller) do(method, path string, body any) (int, []byte, http.Header) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.s.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		scheme := c.scheme
		if scheme == "" {
			scheme = "Bearer"
		}
		req.Header.Set("Authorization", scheme+" "+c.token)
	}
	resp, err := c.s.Client().Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

// json decodes an answer that must have the given status.
func (c caller) json(method, path string, body any, status int, into any) {
	c.t.Helper()
	code, out, _ := c.do(method, path, body)
	if code != status {
		c.t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, c.name, code, status, out)
	}
	if into != nil {
		if err := json.Unmarshal(out, into); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, out)
		}
	}
}

// tokenFor signs user in with the cookie and makes an API token over the
// API, as the app command does.
func tokenFor(t *testing.T, s *appliancetest.Server, user, password string) caller {
	t.Helper()
	b := s.Login(user, password)
	resp := b.Do("GET", "/api/v1/me", nil, http.Header{"Accept": {"application/json"}})
	var me wire.Me
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil || me.Auth != wire.AuthCookie || me.CSRFToken == "" {
		t.Fatalf("me: %+v, %v", me, err)
	}
	resp.Body.Close()
	// Without the CSRF header, a cookie cannot make a token.
	resp = b.Do("POST", "/api/v1/tokens", strings.NewReader(`{"name":"e2e"}`), http.Header{"Content-Type": {"application/json"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("token without CSRF header: %d", resp.StatusCode)
	}
	resp = b.Do("POST", "/api/v1/tokens", strings.NewReader(`{"name":"e2e"}`), http.Header{"Content-Type": {"application/json"}, "X-Csrf-Token": {me.CSRFToken}})
	var tok wire.Token
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusCreated || !strings.HasPrefix(tok.Secret, auth.TokenPrefix) {
		t.Fatalf("token: %d %+v %v", resp.StatusCode, tok, err)
	}
	resp.Body.Close()
	return caller{t: t, s: s, name: user, token: tok.Secret}
}

// matrix is the appliance with six kinds of callers around alice's session.
type matrix struct {
	*setup
	anon, alice, bob, carol, dave, admin caller
	session                              wire.Container
	spare                                string // another grant of alice's, free to start
}

func newMatrix(t *testing.T) *matrix {
	t.Helper()
	s := newSetup(t)
	ctx := t.Context()
	st := s.App.Store()
	for _, u := range []string{"carol", "dave"} {
		hash, _ := auth.HashPassword("password-" + u)
		if err := st.CreateUser(ctx, accounting.User{Name: u, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	shared, err := st.Grant(ctx, "alice", s.image, accounting.Policy{AllowView: true, AllowHome: true})
	if err != nil {
		t.Fatal(err)
	}
	spare, err := st.Grant(ctx, "alice", s.image, accounting.Policy{AppLicense: "spare"})
	if err != nil {
		t.Fatal(err)
	}
	m := &matrix{setup: s, spare: spare, anon: caller{t: t, s: s.Server, name: "anonymous"}}
	m.alice = tokenFor(t, s.Server, "alice", "password-alice")
	m.bob = tokenFor(t, s.Server, "bob", "password-bob")
	m.carol = tokenFor(t, s.Server, "carol", "password-carol")
	m.dave = tokenFor(t, s.Server, "dave", "password-dave")
	m.admin = tokenFor(t, s.Server, "admin", s.AdminPassword)
	m.alice.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: shared}, http.StatusCreated, &m.session)
	m.alice.json("POST", "/api/v1/containers/"+m.session.URLID+"/shares", wire.ShareRequest{User: "bob", Mode: "view"}, http.StatusCreated, nil)
	m.alice.json("POST", "/api/v1/containers/"+m.session.URLID+"/shares", wire.ShareRequest{User: "carol", Mode: "control"}, http.StatusCreated, nil)
	return m
}

// TestAuthorizationMatrix walks every endpoint with every kind of caller.
func TestAuthorizationMatrix(t *testing.T) {
	m := newMatrix(t)
	S := m.session.URLID
	sessionPath := m.session.URLPath
	roles := []caller{m.anon, m.alice, m.bob, m.carol, m.dave, m.admin}
	//                     anon alice bob carol dave admin
	type row struct {
		method, path string
		body         any
		want         [6]int
	}
	rows := []row{
		{"GET", "/api/v1/me", nil, [6]int{401, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/applications", nil, [6]int{401, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/containers", nil, [6]int{401, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/containers/" + S, nil, [6]int{401, 200, 404, 404, 404, 404}},
		{"GET", "/api/v1/containers/" + S + "/shares", nil, [6]int{401, 200, 404, 404, 404, 404}},
		{"POST", "/api/v1/containers/" + S + "/shares", wire.ShareRequest{User: "dave", Mode: "view"}, [6]int{401, 201, 404, 404, 404, 404}},
		{"DELETE", "/api/v1/containers/" + S + "/shares/dave", nil, [6]int{401, 204, 404, 404, 404, 404}},
		{"GET", "/api/v1/shared", nil, [6]int{401, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/tokens", nil, [6]int{401, 200, 200, 200, 200, 200}},
		{"POST", "/api/v1/containers", wire.StartRequest{MappingID: m.spare}, [6]int{401, 201, 400, 400, 400, 400}},
		{"GET", "/api/v1/admin/users", nil, [6]int{401, 403, 403, 403, 403, 200}},
		{"GET", "/api/v1/admin/applications", nil, [6]int{401, 403, 403, 403, 403, 200}},
		{"GET", "/api/v1/admin/grants?user=alice", nil, [6]int{401, 403, 403, 403, 403, 200}},
		{"GET", "/api/v1/admin/containers", nil, [6]int{401, 403, 403, 403, 403, 200}},
		{"GET", "/api/v1/admin/stats", nil, [6]int{401, 403, 403, 403, 403, 200}},
		{"GET", "/api/v1/admin/images", nil, [6]int{401, 403, 403, 403, 403, 200}},
		{"GET", "/api/v1/admin/audit", nil, [6]int{401, 403, 403, 403, 403, 200}},
		{"GET", "/api/v1/admin/backup", nil, [6]int{401, 403, 403, 403, 403, 200}},
		{"POST", "/api/v1/admin/users", map[string]any{"name": "erin"}, [6]int{401, 403, 403, 403, 403, 201}},
		{"GET", "/user/alice/api/v1/applications/", nil, [6]int{401, 200, 404, 404, 404, 404}},
		{"GET", "/user/alice/api/v1/containers/" + S + "/", nil, [6]int{401, 200, 404, 404, 404, 404}},
		// The session itself, through the proxy.
		{"GET", sessionPath, nil, [6]int{401, 200, 200, 200, 404, 404}},
		{"POST", sessionPath + "write?name=by-matrix&data=x", nil, [6]int{401, 200, 403, 200, 404, 404}},
		{"GET", "/api/v1/openapi.json", nil, [6]int{200, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/nonexistent", nil, [6]int{404, 404, 404, 404, 404, 404}},
	}
	for _, r := range rows {
		for i, c := range roles {
			code, body, _ := c.do(r.method, r.path, r.body)
			if code != r.want[i] {
				t.Errorf("%s %s as %s: %d, want %d: %.200s", r.method, r.path, c.name, code, r.want[i], body)
			}
			if code >= 400 && strings.HasPrefix(r.path, "/api/v1/") {
				var e wire.Error
				if err := json.Unmarshal(body, &e); err != nil || e.Type == "" || e.Message == "" {
					t.Errorf("%s %s as %s: error body %q", r.method, r.path, c.name, body)
				}
			}
		}
	}
	// Stopping: only the owner, and administrators through the admin API.
	for _, c := range []caller{m.bob, m.carol, m.dave, m.admin} {
		if code, _, _ := c.do("DELETE", "/api/v1/containers/"+S, nil); code != 404 {
			t.Errorf("DELETE container as %s: %d, want 404", c.name, code)
		}
	}
	if code, _, _ := m.anon.do("DELETE", "/api/v1/containers/"+S, nil); code != 401 {
		t.Errorf("DELETE container anonymously: %d", code)
	}
	if code, _, _ := m.alice.do("DELETE", "/api/v1/admin/containers/"+S, nil); code != 403 {
		t.Errorf("alice using the admin API: %d", code)
	}
	m.admin.json("DELETE", "/api/v1/admin/containers/"+S, nil, 204, nil)
	if code, _, _ := m.alice.do("GET", "/api/v1/containers/"+S, nil); code != 404 {
		t.Errorf("a session stopped by an administrator: %d", code)
	}
}

func TestSessionsAndSharesAPI(t *testing.T) {
	m := newMatrix(t)
	S := m.session.URLID

	// Applications: images described, the running session attached.
	var apps []wire.UserApplication
	m.alice.json("GET", "/api/v1/applications", nil, 200, &apps)
	var running int
	for _, a := range apps {
		if !a.Image.Available || a.Image.Type != "webapp" || len(a.Image.Configurables) != 2 {
			t.Errorf("application %+v", a)
		}
		if a.Container != nil {
			running++
			if a.Container.URLID != S || a.Container.URL != m.URL+m.session.URLPath {
				t.Errorf("container %+v", a.Container)
			}
		}
	}
	if len(apps) != 3 || running != 1 {
		t.Errorf("%d applications, %d running", len(apps), running)
	}

	// Shares: listed for the owner, seen by those shared with.
	var list []wire.Share
	m.alice.json("GET", "/api/v1/containers/"+S+"/shares", nil, 200, &list)
	if len(list) != 2 || list[0].User != "bob" || list[0].Mode != "view" || list[1].User != "carol" {
		t.Errorf("shares %+v", list)
	}
	var shared []wire.SharedSession
	m.bob.json("GET", "/api/v1/shared", nil, 200, &shared)
	if len(shared) != 1 || shared[0].Owner != "alice" || shared[0].Mode != "view" || !strings.HasPrefix(shared[0].URL, m.URL+m.session.URLPath) {
		t.Errorf("bob's shared sessions %+v", shared)
	}
	// Bad shares.
	for _, bad := range []wire.ShareRequest{{User: "alice", Mode: "view"}, {User: "nobody", Mode: "view"}, {User: "dave", Mode: "admin"}, {User: "dave", Mode: "view", Expires: ptrTime(time.Now().Add(-time.Hour))}} {
		if code, body, _ := m.alice.do("POST", "/api/v1/containers/"+S+"/shares", bad); code != 400 {
			t.Errorf("share %+v: %d %s", bad, code, body)
		}
	}
	// A grant without allow_view cannot be shared.
	var plain wire.Container
	m.alice.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: m.spare}, 201, &plain)
	if code, body, _ := m.alice.do("POST", "/api/v1/containers/"+plain.URLID+"/shares", wire.ShareRequest{User: "bob", Mode: "view"}); code != 403 || !strings.Contains(string(body), "sharing is not allowed by this application's policy") {
		t.Errorf("sharing a grant without allow_view: %d %s", code, body)
	}

	// Revocation is immediate.
	m.alice.json("DELETE", "/api/v1/containers/"+S+"/shares/carol", nil, 204, nil)
	if code, _, _ := m.carol.do("GET", m.session.URLPath, nil); code != 404 {
		t.Errorf("carol after revocation: %d", code)
	}
	// Expiry too.
	m.alice.json("POST", "/api/v1/containers/"+S+"/shares", wire.ShareRequest{User: "dave", Mode: "control", Expires: ptrTime(time.Now().Add(time.Second))}, 201, nil)
	if code, _, _ := m.dave.do("GET", m.session.URLPath, nil); code != 200 {
		t.Errorf("dave before expiry: %d", code)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		code, _, _ := m.dave.do("GET", m.session.URLPath, nil)
		if code == 404 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dave's share did not expire: %d", code)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Bad starts.
	for _, tc := range []struct {
		body   any
		status int
		typ    string
	}{
		{map[string]any{}, 400, "invalid"},
		{map[string]any{"mapping_id": "nope"}, 400, "invalid"},
		{map[string]any{"mapping_id": 7}, 400, "bad_request"},
		{map[string]any{"mapping_id": m.spare, "extra": 1}, 400, "bad_request"},
		{map[string]any{"mapping_id": m.spare, "configurables": map[string]string{"resolution": "1x1"}}, 400, "invalid"},
	} {
		code, body, _ := m.alice.do("POST", "/api/v1/containers", tc.body)
		var e wire.Error
		_ = json.Unmarshal(body, &e)
		if code != tc.status || e.Type != tc.typ {
			t.Errorf("start %v: %d %s", tc.body, code, body)
		}
	}

	// Stopping ends the session and its shares.
	m.alice.json("DELETE", "/api/v1/containers/"+S, nil, 204, nil)
	m.bob.json("GET", "/api/v1/shared", nil, 200, &shared)
	if len(shared) != 0 {
		t.Errorf("bob still sees %+v", shared)
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func TestTokensAPI(t *testing.T) {
	s := newSetup(t)
	alice := tokenFor(t, s.Server, "alice", "password-alice")
	bob := tokenFor(t, s.Server, "bob", "password-bob")
	var tok wire.Token
	alice.json("POST", "/api/v1/tokens", wire.TokenRequest{Name: "ci", Expires: ptrTime(time.Now().Add(2 * time.Second))}, 201, &tok)
	ci := caller{t: t, s: s.Server, name: "alice's ci token", token: tok.Secret}
	ci.json("GET", "/api/v1/me", nil, 200, nil)
	var list []wire.Token
	alice.json("GET", "/api/v1/tokens", nil, 200, &list)
	if len(list) != 2 || list[0].Secret != "" {
		t.Errorf("tokens %+v (secrets must not be listed)", list)
	}
	if code, _, _ := bob.do("DELETE", "/api/v1/tokens/"+tok.ID, nil); code != 404 {
		t.Errorf("bob deleting alice's token: %d", code)
	}
	// Expired tokens stop working.
	for deadline := time.Now().Add(10 * time.Second); ; {
		if code, _, _ := ci.do("GET", "/api/v1/me", nil); code == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the token did not expire")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Revoked tokens too.
	alice.json("DELETE", "/api/v1/tokens/"+alice.tokenID(), nil, 204, nil)
	if code, _, _ := alice.do("GET", "/api/v1/me", nil); code != 401 {
		t.Errorf("a deleted token: %d", code)
	}
	for _, bad := range []any{map[string]any{"name": ""}, map[string]any{"name": "x", "expires": "yesterday"}, map[string]any{"name": "x", "expires": time.Now().Add(-time.Hour)}} {
		if code, _, _ := bob.do("POST", "/api/v1/tokens", bad); code != 400 {
			t.Errorf("token %v: %d", bad, code)
		}
	}
}

// tokenID finds the id of the caller's own token.
func (c caller) tokenID() string {
	c.t.Helper()
	var list []wire.Token
	c.json("GET", "/api/v1/tokens", nil, 200, &list)
	for _, tok := range list {
		if tok.Name == "e2e" {
			return tok.ID
		}
	}
	c.t.Fatal("no e2e token")
	return ""
}

func TestEventsStream(t *testing.T) {
	s := newSetup(t)
	alice := tokenFor(t, s.Server, "alice", "password-alice")
	bob := tokenFor(t, s.Server, "bob", "password-bob")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	stream := func(c caller) *bufio.Scanner {
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/v1/events", nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		resp, err := s.Client().Do(req)
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("events: %v %v", resp, err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return bufio.NewScanner(resp.Body)
	}
	aliceEvents, bobEvents := stream(alice), stream(bob)
	var c wire.Container
	alice.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: s.aliceID}, 201, &c)
	var kinds []string
	for aliceEvents.Scan() {
		line := aliceEvents.Text()
		if kind, ok := strings.CutPrefix(line, "event: "); ok {
			kinds = append(kinds, kind)
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var e wire.Event
			if err := json.Unmarshal([]byte(data), &e); err != nil || e.User != "alice" {
				t.Fatalf("event data %q: %v", data, err)
			}
			if e.Kind == "started" {
				if e.URLID != c.URLID {
					t.Errorf("started %s, want %s", e.URLID, c.URLID)
				}
				break
			}
		}
	}
	if fmt.Sprint(kinds) != "[progress progress progress progress progress started]" {
		t.Errorf("alice's events: %v", kinds)
	}
	// Bob saw nothing of alice's: his stream holds only its opening comment.
	done := make(chan string, 1)
	go func() {
		var seen []string
		for bobEvents.Scan() {
			if l := bobEvents.Text(); strings.HasPrefix(l, "event:") {
				seen = append(seen, l)
			}
		}
		done <- strings.Join(seen, ",")
	}()
	time.Sleep(500 * time.Millisecond) // let any leaked event arrive before closing
	cancel()
	if seen := <-done; seen != "" {
		t.Errorf("bob saw alice's events: %s", seen)
	}
}

func TestLegacyShapes(t *testing.T) {
	s := newSetup(t)
	alice := tokenFor(t, s.Server, "alice", "password-alice")
	var apps struct {
		Identifiers []string                   `json:"identifiers"`
		Items       map[string]json.RawMessage `json:"items"`
		Total       int                        `json:"total"`
	}
	alice.json("GET", "/user/alice/api/v1/applications/", nil, 200, &apps)
	if len(apps.Identifiers) != 1 || apps.Identifiers[0] != s.aliceID || apps.Total != 1 || !strings.Contains(string(apps.Items[s.aliceID]), `"allow_home":true`) {
		t.Fatalf("legacy applications: %+v", apps)
	}
	code, body, hdr := alice.do("POST", "/user/alice/api/v1/containers/", map[string]any{
		"mapping_id": s.aliceID, "configurables": map[string]any{"resolution": map[string]string{"resolution": "1024x768"}},
	})
	loc := hdr.Get("Location")
	if code != 201 || !strings.HasPrefix(loc, "/user/alice/api/v1/containers/") {
		t.Fatalf("legacy start: %d %q %s", code, loc, body)
	}
	var one struct {
		Name, ImageName, MappingID string
	}
	alice.json("GET", loc, nil, 200, &one)
	var containers struct {
		Identifiers []string `json:"identifiers"`
	}
	alice.json("GET", "/user/alice/api/v1/containers/", nil, 200, &containers)
	if len(containers.Identifiers) != 1 || !strings.Contains(loc, containers.Identifiers[0]) {
		t.Errorf("legacy containers %+v, created %s", containers, loc)
	}
	if code, body, _ := alice.do("POST", "/user/alice/api/v1/containers/", map[string]any{"mapping_id": "whatever"}); code != 400 || !strings.Contains(string(body), "BadRepresentation") {
		t.Errorf("legacy bad mapping: %d %s", code, body)
	}
	alice.json("DELETE", loc, nil, 204, nil)
	if code, _, _ := alice.do("GET", loc, nil); code != 404 {
		t.Errorf("legacy after delete: %d", code)
	}
}

// TestOpenAPIMatchesRoutes holds the served operations against the OpenAPI
// document, both ways, and checks that each documented operation is routed.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := newSetup(t)
	documented, err := api.DocumentedOperations()
	if err != nil {
		t.Fatal(err)
	}
	served := api.ServedOperations()
	if strings.Join(served, "\n") != strings.Join(documented, "\n") {
		t.Errorf("served and documented operations differ:\nserved:\n  %s\ndocumented:\n  %s",
			strings.Join(served, "\n  "), strings.Join(documented, "\n  "))
	}
	admin := tokenFor(t, s.Server, "admin", s.AdminPassword)
	fill := strings.NewReplacer("{url_id}", strings.Repeat("0", 32), "{mapping_id}", strings.Repeat("0", 32),
		"{user}", "nobody", "{name}", "nobody", "{id}", "0000000000000000", "{image}", "lab/none:1")
	for _, op := range documented {
		method, path, _ := strings.Cut(op, " ")
		if path == "/api/v1/events" {
			continue // a stream: TestEventsStream
		}
		var body any
		if method == "POST" || method == "PATCH" || method == "PUT" {
			body = map[string]any{}
		}
		code, out, _ := admin.do(method, fill.Replace(path), body)
		var e wire.Error
		_ = json.Unmarshal(out, &e)
		if code == http.StatusMethodNotAllowed || e.Message == "no such endpoint" {
			t.Errorf("%s is documented but not routed: %d %s", op, code, out)
		}
	}
}
