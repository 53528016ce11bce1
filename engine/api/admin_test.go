package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/accounting/csvfile"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/volumes/volumestest"
)

// TestAdminEndpoints walks every endpoint once, in an order that builds on
// what came before.
func TestAdminEndpoints(t *testing.T) {
	root := volumestest.Root(t)
	data := volumestest.Dir(t, root, "data")
	s := newServer(t, root)
	ctx := t.Context()
	idOf := func(body string) string {
		var m wire.MappingID
		if err := json.Unmarshal([]byte(body), &m); err != nil || !accounting.IsMappingID(m.MappingID) {
			t.Fatalf("answer %q has no mapping id (%v)", body, err)
		}
		return m.MappingID
	}

	// Users.
	if got := s.ok(200, "GET", "/users", ""); compact(t, got) != "[]" {
		t.Errorf("GET /users on an empty store = %s", got)
	}
	got := s.ok(201, "POST", "/users", `{"name": "alice", "admin": true, "password": "correct horse"}`)
	if want := `{"name":"alice","admin":true,"disabled":false,"has_password":true}`; compact(t, got) != want {
		t.Errorf("POST /users = %s, want %s", got, want)
	}
	u, err := s.svc.User(ctx, "alice")
	if err != nil || !u.HasPassword {
		t.Fatalf("alice = %+v, %v", u, err)
	}
	s.ok(201, "POST", "/users", `{"name": "bob"}`)
	if got := s.ok(200, "GET", "/users/bob", ""); compact(t, got) != `{"name":"bob","admin":false,"disabled":false,"has_password":false}` {
		t.Errorf("GET /users/bob = %s", got)
	}
	got = s.ok(200, "PATCH", "/users/bob", `{"disabled": true, "password": "a fine secret"}`)
	if compact(t, got) != `{"name":"bob","admin":false,"disabled":true,"has_password":true}` {
		t.Errorf("PATCH /users/bob = %s", got)
	}
	got = s.ok(200, "PATCH", "/users/bob", `{"admin": true, "password": ""}`)
	if compact(t, got) != `{"name":"bob","admin":true,"disabled":true,"has_password":false}` {
		t.Errorf("PATCH /users/bob = %s", got)
	}
	s.ok(200, "PATCH", "/users/bob", `{"disabled": false, "admin": null}`)

	// Applications; images keep their slashes and colons in the path.
	got = s.ok(201, "POST", "/applications", `{"image": "lab/tool:2.1", "limits": {"memory_bytes": 1073741824, "cpus": 1.5, "pids": 0}}`)
	if want := `{"image":"lab/tool:2.1","limits":{"memory_bytes":1073741824,"cpus":1.5,"pids":0},"run_as_root":false}`; compact(t, got) != want {
		t.Errorf("POST /applications = %s, want %s", got, want)
	}
	s.ok(201, "POST", "/applications", `{"image": "img", "verify": false}`)
	if got := s.ok(200, "GET", "/applications/lab/tool:2.1", ""); !strings.Contains(got, `"cpus":1.5`) {
		t.Errorf("GET /applications/lab/tool:2.1 = %s", got)
	}
	got = s.ok(200, "PATCH", "/applications/lab/tool:2.1", `{"limits": {"memory_bytes": 0, "cpus": 2, "pids": 100}}`)
	if want := `{"image":"lab/tool:2.1","limits":{"memory_bytes":0,"cpus":2,"pids":100},"run_as_root":false}`; compact(t, got) != want {
		t.Errorf("PATCH limits = %s, want %s", got, want)
	}
	// The run-as-root mark: at creation, and changed alone.
	if got := s.ok(201, "POST", "/applications", `{"image": "legacy:1", "verify": false, "run_as_root": true}`); !strings.Contains(got, `"run_as_root":true`) {
		t.Errorf("POST /applications with run_as_root = %s", got)
	}
	got = s.ok(200, "PATCH", "/applications/img", `{"run_as_root": true}`)
	if want := `{"image":"img","limits":{"memory_bytes":0,"cpus":0,"pids":0},"run_as_root":true}`; compact(t, got) != want {
		t.Errorf("PATCH run_as_root = %s, want %s", got, want)
	}
	if got := s.ok(200, "PATCH", "/applications/img", `{"run_as_root": false}`); !strings.Contains(got, `"run_as_root":false`) {
		t.Errorf("PATCH run_as_root false = %s", got)
	}
	if got := s.ok(200, "GET", "/applications", ""); !strings.Contains(got, `"image":"img"`) || !strings.Contains(got, `"image":"lab/tool:2.1"`) {
		t.Errorf("GET /applications = %s", got)
	}

	// Grants.
	plain := idOf(s.ok(201, "POST", "/grants", `{"user": "alice", "image": "img"}`))
	if again := idOf(s.ok(201, "POST", "/grants", `{"user": "alice", "image": "img", "policy": {}}`)); again != plain {
		t.Errorf("the same grant again gave %s, want %s", again, plain)
	}
	vol := idOf(s.ok(201, "POST", "/grants", `{"user": "alice", "image": "img", "policy": {"allow_home": true, "volume_source": "`+data+`/", "volume_target": "/data", "volume_mode": "ro"}}`))
	view := idOf(s.ok(201, "POST", "/grants", `{"user": "alice", "image": "lab/tool:2.1", "policy": {"allow_view": true, "app_license": "LIC"}}`))
	bobs := idOf(s.ok(201, "POST", "/grants", `{"user": "bob", "image": "img"}`))
	got = s.ok(200, "GET", "/grants?user=alice", "")
	var grants []wire.Grant
	if err := json.Unmarshal([]byte(got), &grants); err != nil || len(grants) != 3 {
		t.Fatalf("GET /grants?user=alice = %s (%v)", got, err)
	}
	if g := grants[0]; g.Image != "img" || g.User != "alice" || (g.MappingID != plain && g.MappingID != vol) {
		t.Errorf("first grant %+v", g)
	}
	want, _ := json.Marshal(accounting.Grant{MappingID: vol, User: "alice", Image: "img",
		Policy: accounting.Policy{AllowHome: true, Volume: accounting.Volume{Source: data, Target: "/data", Mode: "ro"}}})
	if !strings.Contains(got, string(want)) {
		t.Errorf("GET /grants = %s, lacks %s", got, want)
	}
	got = s.ok(200, "GET", "/users?grants=1", "")
	if !strings.Contains(got, `"grants":[{"mapping_id":"`+bobs+`"`) || strings.Count(got, `"mapping_id"`) != 4 {
		t.Errorf("GET /users?grants=1 = %s", got)
	}
	if got := s.ok(200, "GET", "/users", ""); strings.Contains(got, "grants") {
		t.Errorf("GET /users without grants=1 = %s", got)
	}
	if got := s.ok(200, "GET", "/users/alice?grants=1", ""); strings.Count(got, `"mapping_id"`) != 3 {
		t.Errorf("GET /users/alice?grants=1 = %s", got)
	}
	got = s.ok(200, "POST", "/grants/revoke", `{"user": "alice", "image": "img", "policy": {"allow_home": true, "volume_source": "`+data+`", "volume_target": "/data", "volume_mode": "ro"}}`)
	if compact(t, got) != `{"revoked":1}` {
		t.Errorf("exact revoke = %s", got)
	}
	s.ok(201, "POST", "/grants", `{"user": "alice", "image": "img", "policy": {"allow_startup_data": true}}`)
	if got := s.ok(200, "POST", "/grants/revoke", `{"user": "alice", "image": "img", "all": true}`); compact(t, got) != `{"revoked":2}` {
		t.Errorf("revoke all = %s", got)
	}
	s.ok(204, "DELETE", "/grants/"+view, "")
	if got := s.ok(200, "GET", "/grants?user=alice", ""); compact(t, got) != "[]" {
		t.Errorf("alice's grants after revoking = %s", got)
	}

	// Backup: a bbolt file that checks and holds the data.
	got = s.ok(200, "GET", "/backup", "")
	path := filepath.Join(t.TempDir(), "b.db")
	if err := os.WriteFile(path, []byte(got), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := boltdb.CheckFile(path); err != nil {
		t.Fatalf("the backup does not check: %v", err)
	}
	b, err := boltdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if g, err := b.GrantByID(ctx, bobs); err != nil || g.User != "bob" {
		t.Errorf("the backup lacks bob's grant: %+v, %v", g, err)
	}
	_ = b.Close()

	// Removals.
	s.ok(204, "DELETE", "/applications/lab/tool:2.1", "")
	s.ok(204, "DELETE", "/users/bob", "")
	if _, err := s.svc.Application(ctx, "lab/tool:2.1"); err == nil {
		t.Error("the application is still there")
	}
	if got := s.ok(200, "GET", "/users", ""); strings.Contains(got, "bob") {
		t.Errorf("bob is still there: %s", got)
	}
	if strings.Contains(s.log.String(), "correct horse") || strings.Contains(s.log.String(), "argon2") {
		t.Errorf("the log shows a password or hash: %s", s.log)
	}
}

func TestAdminBackupHeaders(t *testing.T) {
	s := newServer(t)
	if w := s.req("HEAD", "/backup", ""); w.Code != 200 || w.Body.Len() != 0 || strings.Contains(s.log.String(), "error") {
		t.Errorf("HEAD /backup: %d %q; log %s", w.Code, w.Body, s.log)
	}
	w := s.req("GET", "/backup", "")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/octet-stream" ||
		!strings.Contains(w.Header().Get("Content-Disposition"), "attachment") {
		t.Errorf("GET /backup: %d %v", w.Code, w.Header())
	}

	// A CSV store has no backup to give.
	path := filepath.Join(t.TempDir(), "a.csv")
	if err := os.WriteFile(path, []byte("user.name,application.image\nalice,img\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := csvfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	h := api.AdminHandler(admin.NewLocal(c, admin.Options{}), zerolog.Nop())
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/admin/backup", nil))
	if e := apiError(t, w); w.Code != 409 || e.Type != "read_only" || !strings.Contains(e.Message, "copy the file itself") {
		t.Errorf("GET /backup on CSV: %d %+v", w.Code, e)
	}
	if w.Header().Get("Content-Disposition") != "" {
		t.Error("an error answer kept the attachment header")
	}
}

// TestAdminUserJSON: the API shows users in accounting.User's JSON form.
func TestAdminUserJSON(t *testing.T) {
	s := newServer(t)
	s.ok(201, "POST", "/users", `{"name": "alice", "password": "correct horse"}`)
	hash, _ := auth.HashPassword("correct horse")
	want, _ := json.Marshal(accounting.User{Name: "alice", PasswordHash: hash})
	if got := s.ok(200, "GET", "/users/alice", ""); compact(t, got) != string(want) {
		t.Errorf("GET /users/alice = %s, want accounting's form %s", got, want)
	}
}

// TestPolicyWireForm: wire.Policy reads back every field that
// accounting.Policy writes.
func TestPolicyWireForm(t *testing.T) {
	p := accounting.Policy{AppLicense: "L", AllowHome: true, AllowView: true, AllowStartupData: true,
		Volume: accounting.Volume{Source: "/a", Target: "/b", Mode: "rw"}}
	g := accounting.Grant{MappingID: strings.Repeat("ab", 16), User: "u", Image: "i", Policy: p}
	b, _ := json.Marshal(g)
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var w wire.Grant
	if err := dec.Decode(&w); err != nil {
		t.Fatal(err)
	}
	if w.Grant() != g {
		t.Errorf("read back %+v, want %+v", w.Grant(), g)
	}
	a := accounting.Application{Image: "i", Limits: accounting.Limits{Memory: 1 << 30, CPUs: 0.5, Pids: 9}}
	b, _ = json.Marshal(a)
	var wa wire.Application
	if err := json.Unmarshal(b, &wa); err != nil || wa.Application() != a {
		t.Errorf("read back %+v (%v), want %+v", wa, err, a)
	}
}

func TestAdminRouting(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		method, path string
		status       int
		typ, allow   string
	}{
		{"GET", "/nothing", http.StatusNotFound, "not_found", ""},
		{"GET", "", http.StatusNotFound, "not_found", ""},
		{"PUT", "/applications/x", http.StatusMethodNotAllowed, "method_not_allowed", "DELETE, GET, HEAD, PATCH"},
		{"POST", "/grants/" + strings.Repeat("a", 32), http.StatusMethodNotAllowed, "method_not_allowed", "DELETE"},
		{"DELETE", "/backup", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD"},
		{"DELETE", "/users", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD, POST"},
		{"PATCH", "/applications", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD, POST"},
		{"PUT", "/grants", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD, POST"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			w := s.req(tt.method, tt.path, "")
			e := apiError(t, w)
			if w.Code != tt.status || e.Type != tt.typ {
				t.Errorf("%d %+v, want %d %s", w.Code, e, tt.status, tt.typ)
			}
			if got := strings.Join(w.Header().Values("Allow"), ", "); got != tt.allow {
				t.Errorf("Allow: %q, want %q", got, tt.allow)
			}
		})
	}
}

// halfBackup sends part of a copy, then fails.
type halfBackup struct{ admin.Service }

func (halfBackup) Backup(_ context.Context, w io.Writer) error {
	if _, err := w.Write(make([]byte, 64<<10)); err != nil {
		return err
	}
	return errors.New("read error")
}

// TestAdminBackupCutShort: a copy that fails half way ends in a broken
// transfer, never in a short answer that looks complete.
func TestAdminBackupCutShort(t *testing.T) {
	var log strings.Builder
	srv := httptest.NewServer(api.AdminHandler(halfBackup{}, zerolog.New(&log)))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/v1/admin/backup")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err == nil {
		t.Error("reading a backup that failed half way succeeded")
	}
	srv.Close() // waits for the handler
	if !strings.Contains(log.String(), "read error") || !strings.Contains(log.String(), `"ref"`) {
		t.Errorf("the failure is not logged with a reference: %s", log.String())
	}
}
