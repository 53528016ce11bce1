package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api"
	"github.com/simphony/simphony-remote/engine/api/wire"
)

// TestAdminBadInput sends requests that must be refused with the right
// status and type, and checks that none of them changed anything.
func TestAdminBadInput(t *testing.T) {
	s := newServer(t)
	s.ok(201, "POST", "/users", `{"name": "alice"}`)
	s.ok(201, "POST", "/applications", `{"image": "img", "verify": false}`)
	id := s.ok(201, "POST", "/grants", `{"user": "alice", "image": "img"}`)
	snapshot := func() string {
		return s.ok(200, "GET", "/users?grants=1", "") + s.ok(200, "GET", "/applications", "")
	}
	before := snapshot()
	big := `{"name": "` + strings.Repeat("a", api.MaxBodySize) + `"}`
	missingID := strings.Repeat("0", 32)

	tests := []struct {
		name         string
		method, path string
		body         string
		contentType  string // default application/json
		status       int
		typ          string
		parts        []string
	}{
		// Malformed bodies.
		{"invalid JSON", "POST", "/users", `{"name": "bob",}`, "", 400, "bad_request", []string{"malformed JSON at byte"}},
		{"truncated JSON", "POST", "/users", `{"name": "bob"`, "", 400, "bad_request", []string{"ends too early"}},
		{"empty body", "POST", "/users", ``, "", 400, "bad_request", []string{"it is empty"}},
		{"unknown field", "POST", "/users", `{"name": "bob", "root": true}`, "", 400, "bad_request", []string{`unknown field "root"`}},
		{"wrong type", "POST", "/users", `{"name": "bob", "admin": "yes"}`, "", 400, "bad_request", []string{`field "admin": want bool, not a JSON string`}},
		{"not an object", "POST", "/users", `["bob"]`, "", 400, "bad_request", []string{"want a JSON object, not a array"}},
		{"two values", "POST", "/users", `{"name": "bob"} {"name": "carol"}`, "", 400, "bad_request", []string{"exactly one JSON value"}},
		{"oversize body", "POST", "/users", big, "", 413, "too_large", []string{"over the limit"}},
		{"not JSON", "POST", "/users", `name=bob`, "application/x-www-form-urlencoded", 415, "bad_request", []string{"want Content-Type application/json"}},
		{"no content type", "POST", "/users", `{"name": "bob"}`, "-", 415, "bad_request", []string{"Content-Type"}},
		{"wrong type in limits", "POST", "/applications", `{"image": "x", "verify": false, "limits": {"cpus": "two"}}`, "", 400, "bad_request", []string{`field "limits.cpus": want float64`}},
		{"unknown field in limits", "POST", "/applications", `{"image": "x", "verify": false, "limits": {"gpus": 1}}`, "", 400, "bad_request", []string{`unknown field "gpus"`}},
		{"unknown field in policy", "POST", "/grants", `{"user": "alice", "image": "img", "policy": {"allow_root": true}}`, "", 400, "bad_request", []string{`unknown field "allow_root"`}},
		{"wrong type in policy", "POST", "/grants", `{"user": "alice", "image": "img", "policy": {"allow_home": 1}}`, "", 400, "bad_request", []string{`field "allow_home": want bool, not a JSON number`}},
		{"bad grants flag", "GET", "/users?grants=maybe", ``, "", 400, "bad_request", []string{`grants="maybe"`}},

		// Values that break a rule.
		{"bad user name", "POST", "/users", `{"name": "Bob"}`, "", 400, "invalid", []string{`invalid user name "Bob"`, "upper-case letter"}},
		{"missing name", "POST", "/users", `{"admin": true}`, "", 400, "invalid", []string{`invalid user name ""`, "it is empty"}},
		{"short password", "POST", "/users", `{"name": "bob", "password": "hunter2"}`, "", 400, "invalid", []string{"invalid password", "use at least 8"}},
		{"short new password", "PATCH", "/users/alice", `{"admin": true, "password": "hunter2"}`, "", 400, "invalid", []string{"setting the password of alice: invalid password"}},
		{"empty change", "PATCH", "/users/alice", `{}`, "", 400, "invalid", []string{"give at least one of admin, disabled and password"}},
		{"bad image name", "POST", "/applications", `{"image": "Not/An Image", "verify": false}`, "", 400, "invalid", []string{`invalid image name "Not/An Image"`}},
		{"missing image", "POST", "/applications", `{"verify": false}`, "", 400, "invalid", []string{`invalid image name ""`}},
		{"image Docker lacks", "POST", "/applications", `{"image": "absent:1"}`, "", 400, "invalid", []string{"has no image absent:1", "--no-verify"}},
		{"bad limits", "POST", "/applications", `{"image": "x", "verify": false, "limits": {"memory_bytes": 1024}}`, "", 400, "invalid", []string{"memory must be 0 (the default) or at least 6MiB"}},
		{"missing limits", "PATCH", "/applications/img", `{}`, "", 400, "invalid", []string{`invalid field "limits": it is required`}},
		{"negative cpus", "PATCH", "/applications/img", `{"limits": {"cpus": -1}}`, "", 400, "invalid", []string{"cpus must be from 0"}},
		{"volume outside the allowed roots", "POST", "/grants", `{"user": "alice", "image": "img", "policy": {"volume_source": "/etc", "volume_target": "/etc", "volume_mode": "ro"}}`, "", 400, "invalid", []string{`invalid volume "/etc:/etc:ro"`, "/etc is not under an allowed root (/nonexistent/lab)"}},
		{"docker socket volume", "POST", "/grants", `{"user": "alice", "image": "img", "policy": {"volume_source": "/var/run/docker.sock", "volume_target": "/d", "volume_mode": "rw"}}`, "", 400, "invalid", []string{"/var/run/docker.sock is not under an allowed root"}},
		{"volume missing on the host", "POST", "/grants", `{"user": "alice", "image": "img", "policy": {"volume_source": "/nonexistent/lab/x", "volume_target": "/x", "volume_mode": "ro"}}`, "", 400, "invalid", []string{"/nonexistent does not exist on the host"}},
		{"volume target /proc", "POST", "/grants", `{"user": "alice", "image": "img", "policy": {"volume_source": "/nonexistent/lab/x", "volume_target": "/proc", "volume_mode": "ro"}}`, "", 400, "invalid", []string{"target /proc is a kernel file system"}},
		{"volume target /sys", "POST", "/grants", `{"user": "alice", "image": "img", "policy": {"volume_source": "/nonexistent/lab/x", "volume_target": "/sys", "volume_mode": "ro"}}`, "", 400, "invalid", []string{"target /sys is a kernel file system"}},
		{"volume target under /dev", "POST", "/grants", `{"user": "alice", "image": "img", "policy": {"volume_source": "/nonexistent/lab/x", "volume_target": "/dev/shm", "volume_mode": "rw"}}`, "", 400, "invalid", []string{"target /dev/shm is inside /dev"}},
		{"bad volume mode", "POST", "/grants", `{"user": "alice", "image": "img", "policy": {"volume_source": "/data", "volume_target": "/data", "volume_mode": "rx"}}`, "", 400, "invalid", []string{`mode "rx" must be ro or rw`}},
		{"missing user", "POST", "/grants", `{"image": "img"}`, "", 400, "invalid", []string{`invalid field "user": it is required`}},
		{"missing image in grant", "POST", "/grants", `{"user": "alice"}`, "", 400, "invalid", []string{`invalid field "image": it is required`}},
		{"revoke without policy", "POST", "/grants/revoke", `{"user": "alice", "image": "img"}`, "", 400, "invalid", []string{`invalid field "policy"`}},
		{"revoke all with policy", "POST", "/grants/revoke", `{"user": "alice", "image": "img", "all": true, "policy": {}}`, "", 400, "invalid", []string{`cannot be combined with "policy"`}},
		{"revoke bad volume", "POST", "/grants/revoke", `{"user": "alice", "image": "img", "policy": {"volume_source": "/data", "volume_target": "/dev", "volume_mode": "ro"}}`, "", 400, "invalid", []string{"target /dev is a kernel file system"}},
		{"grants without user", "GET", "/grants", ``, "", 400, "invalid", []string{`invalid query parameter "user"`}},
		{"malformed mapping id", "DELETE", "/grants/xyz", ``, "", 400, "invalid", []string{`invalid mapping id "xyz"`}},

		// Things that do not exist, or do already.
		{"unknown user", "GET", "/users/nobody", ``, "", 404, "not_found", []string{"user nobody: not found"}},
		{"remove unknown user", "DELETE", "/users/nobody", ``, "", 404, "not_found", []string{"removing user nobody: user not found"}},
		{"change unknown user", "PATCH", "/users/nobody", `{"admin": true}`, "", 404, "not_found", []string{"user nobody: not found"}},
		{"unknown application", "GET", "/applications/lab/nope:1", ``, "", 404, "not_found", []string{"application lab/nope:1: not found"}},
		{"remove unknown application", "DELETE", "/applications/nope", ``, "", 404, "not_found", []string{"removing application nope: application not found"}},
		{"limits of unknown application", "PATCH", "/applications/nope", `{"limits": {}}`, "", 404, "not_found", []string{"application nope: not found"}},
		{"grant to unknown user", "POST", "/grants", `{"user": "nobody", "image": "img"}`, "", 404, "not_found", []string{"granting img to nobody", "user nobody: not found"}},
		{"grant of unknown application", "POST", "/grants", `{"user": "alice", "image": "nope"}`, "", 404, "not_found", []string{"application nope: not found"}},
		{"grants of unknown user", "GET", "/grants?user=nobody", ``, "", 404, "not_found", []string{"user nobody: not found"}},
		{"revoke other policy", "POST", "/grants/revoke", `{"user": "alice", "image": "img", "policy": {"allow_view": true}}`, "", 404, "not_found", []string{"no grant with that policy"}},
		{"revoke all of unknown user", "POST", "/grants/revoke", `{"user": "nobody", "image": "img", "all": true}`, "", 404, "not_found", []string{"user nobody: not found"}},
		{"unknown grant", "DELETE", "/grants/" + missingID, ``, "", 404, "not_found", []string{"grant " + missingID + ": not found"}},
		{"user exists", "POST", "/users", `{"name": "alice"}`, "", 409, "exists", []string{"creating user alice: user already exists"}},
		{"application exists", "POST", "/applications", `{"image": "img"}`, "", 409, "exists", []string{"creating application img: application already exists"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := tt.contentType
			switch ct {
			case "":
				ct = "application/json"
			case "-":
				ct = ""
			}
			s.t = t
			w := s.reqType(tt.method, tt.path, tt.body, ct)
			e := apiError(t, w)
			if w.Code != tt.status || e.Type != tt.typ {
				t.Errorf("%d %+v, want %d %s", w.Code, e, tt.status, tt.typ)
			}
			for _, p := range tt.parts {
				if !strings.Contains(e.Message, p) {
					t.Errorf("message %q lacks %q", e.Message, p)
				}
			}
			if e.Ref != "" {
				t.Errorf("a client error has a reference: %+v", e)
			}
			if strings.Contains(e.Message, "hunter2") {
				t.Errorf("the message shows the password: %q", e.Message)
			}
		})
	}
	s.t = t
	if after := snapshot(); after != before {
		t.Errorf("bad input changed the data:\nbefore %s\nafter  %s", before, after)
	}
	if strings.Contains(s.log.String(), "hunter2") {
		t.Errorf("the log shows a password: %s", s.log)
	}
	_ = id
}

// broken is a Service whose every method fails unexpectedly.
type broken struct{ admin.Service }

func (broken) Users(context.Context, bool) ([]admin.User, error) {
	return nil, errors.New("disk I/O error reading /data/simphony-remote.db")
}

func TestAdminInternalError(t *testing.T) {
	var log strings.Builder
	h := api.AdminHandler(broken{}, zerolog.New(&log))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/admin/users", nil))
	e := apiError(t, w)
	if w.Code != http.StatusInternalServerError || e.Type != wire.TypeInternal {
		t.Fatalf("%d %+v, want 500 internal", w.Code, e)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}$`).MatchString(e.Ref) || !strings.Contains(e.Message, e.Ref) {
		t.Errorf("reference %q, message %q", e.Ref, e.Message)
	}
	if strings.Contains(e.Message, "disk") {
		t.Errorf("the answer shows the internal error: %q", e.Message)
	}
	if l := log.String(); !strings.Contains(l, e.Ref) || !strings.Contains(l, "disk I/O error") || !strings.Contains(l, `"path":"/api/v1/admin/users"`) {
		t.Errorf("the log lacks the reference or the error: %s", l)
	}
}
