package api_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/logging"
)

// TestAdminLog: GET /log pages through the appliance's recent log for the
// admin socket's callers, refuses bad parameters naming them and other
// callers, and writes nothing to the log it reads.
func TestAdminLog(t *testing.T) {
	st, err := boltdb.Init(filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ring := logging.NewRing(4)
	log := zerolog.New(ring) // the appliance's log: also the API's
	for _, m := range []string{"one", "two", "three", "four", "five"} {
		log.Info().Str("component", "test").Msg(m)
	}
	svc := admin.NewLocal(st, admin.Options{LogRing: ring})
	h := api.NewAdminHandler(api.AdminDeps{Service: svc, Log: log})
	get := func(actor *audit.Actor, query string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest("GET", "/api/v1/admin/log"+query, nil)
		if actor != nil {
			r = r.WithContext(audit.WithActor(r.Context(), *actor))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	socket := &audit.Actor{Name: "socket uid 0 (root)", Address: audit.SocketAddress}

	for _, tt := range []struct{ query, want string }{
		{"", `{"lines":[{"seq":2,"line":{"level":"info","component":"test","message":"two"}},{"seq":3,"line":{"level":"info","component":"test","message":"three"}},` +
			`{"seq":4,"line":{"level":"info","component":"test","message":"four"}},{"seq":5,"line":{"level":"info","component":"test","message":"five"}}],"next":5,"dropped":1}`},
		{"?after=3&max=1", `{"lines":[{"seq":4,"line":{"level":"info","component":"test","message":"four"}}],"next":4,"dropped":0}`},
		{"?after=0&max=5000", `{"lines":[{"seq":2,`},
		{"?after=5", `{"lines":[],"next":5,"dropped":0}`},
	} {
		w := get(socket, tt.query)
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" || !strings.HasPrefix(compact(t, w.Body.String()), tt.want) {
			t.Errorf("GET /log%s: %d %s\nwant %s", tt.query, w.Code, w.Body, tt.want)
		}
	}

	for _, tt := range []struct{ query, param string }{
		{"?after=x", "after"}, {"?after=-1", "after"}, {"?after=1.5", "after"}, {"?after=99999999999999999999999", "after"},
		{"?max=0", "max"}, {"?max=-3", "max"}, {"?max=many", "max"}, {"?after=1&max=2.5", "max"},
	} {
		w := get(socket, tt.query)
		if w.Code != http.StatusBadRequest {
			t.Errorf("GET /log%s: %d %s, want 400", tt.query, w.Code, w.Body)
			continue
		}
		if e := apiError(t, w); e.Type != "bad_request" || !strings.Contains(e.Message, "query parameter "+tt.param+"=") {
			t.Errorf("GET /log%s: %+v, want bad_request naming %s", tt.query, e, tt.param)
		}
	}

	// An administrator over HTTPS, and a caller nobody named.
	for _, actor := range []*audit.Actor{{Name: "alice", Address: "192.0.2.7"}, nil} {
		w := get(actor, "")
		if w.Code != http.StatusForbidden {
			t.Errorf("GET /log as %v: %d %s, want 403", actor, w.Code, w.Body)
			continue
		}
		if e := apiError(t, w); e.Type != "forbidden" || !strings.Contains(e.Message, "use the desktop console") {
			t.Errorf("GET /log as %v: %+v", actor, e)
		}
	}
	if w := get(socket, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"next":5,`) {
		t.Errorf("reading the log added lines to it: %s", w.Body)
	}
}
