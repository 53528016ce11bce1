package api_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api"
	"github.com/simphony/simphony-remote/engine/audit"
)

// newAuditedServer is newServer whose Local keeps an audit log.
func newAuditedServer(t *testing.T) *server {
	t.Helper()
	s, err := boltdb.Init(filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	svc := admin.NewLocal(s, admin.Options{Audit: s, Log: audit.NewLog(s, zerolog.Nop())})
	return &server{t: t, h: api.AdminHandler(svc, zerolog.Nop()), svc: svc}
}

// auditPage is the answer of GET /audit, read strictly.
type auditPage struct {
	Entries []map[string]any `json:"entries"`
	Next    *uint64          `json:"next"`
}

func (s *server) audit(query string) auditPage {
	s.t.Helper()
	body := s.ok(200, "GET", "/audit"+query, "")
	var p auditPage
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		s.t.Fatalf("GET /audit%s = %s: %v", query, body, err)
	}
	return p
}

func targets(p auditPage) string {
	var out []string
	for _, e := range p.Entries {
		out = append(out, fmt.Sprint(e["target"]))
	}
	return strings.Join(out, ",")
}

func TestAdminAudit(t *testing.T) {
	s := newAuditedServer(t)
	if p := s.audit(""); p.Entries == nil || len(p.Entries) != 0 || p.Next != nil {
		t.Errorf("empty log: %+v", p)
	}
	body := s.ok(200, "GET", "/audit", "")
	if compact(t, body) != `{"entries":[],"next":null}` {
		t.Errorf("empty log = %s", body)
	}
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		s.ok(201, "POST", "/users", `{"name": "`+name+`", "password": "correct horse"}`)
	}
	s.req("POST", "/users", `{"name": "a"}`) // a failure is recorded too

	// The shape of an entry.
	p := s.audit("?limit=1")
	if len(p.Entries) != 1 || p.Next == nil || *p.Next != 6 {
		t.Fatalf("limit 1: %+v", p)
	}
	e := p.Entries[0]
	for _, k := range []string{"id", "time", "actor", "address", "action", "target", "detail", "result"} {
		if _, ok := e[k]; !ok {
			t.Errorf("entry without %q: %v", k, e)
		}
	}
	if len(e) != 8 || e["id"] != 6.0 || e["actor"] != "system" || e["action"] != "user.create" || e["target"] != "a" || e["result"] != "failed" {
		t.Errorf("newest entry %v", e)
	}
	if tm, _ := e["time"].(string); !strings.HasSuffix(tm, "Z") {
		t.Errorf("time %q is not UTC RFC 3339", tm)
	}

	// Paging.
	if p := s.audit("?limit=2"); targets(p) != "a,e" || p.Next == nil || *p.Next != 5 {
		t.Errorf("page 1: %s, next %v", targets(p), p.Next)
	}
	if p := s.audit("?limit=2&before=5"); targets(p) != "d,c" || p.Next == nil || *p.Next != 3 {
		t.Errorf("page 2: %s, next %v", targets(p), p.Next)
	}
	if p := s.audit("?limit=2&before=3"); targets(p) != "b,a" || p.Next != nil {
		t.Errorf("page 3: %s, next %v", targets(p), p.Next)
	}
	if p := s.audit("?before=0&limit=5000"); len(p.Entries) != 6 || p.Next != nil {
		t.Errorf("before=0, limit over the maximum: %d entries, next %v", len(p.Entries), p.Next)
	}
	if p := s.audit("?before=1"); len(p.Entries) != 0 || p.Next != nil {
		t.Errorf("before the oldest: %+v", p)
	}

	// Bad parameters, and methods.
	for _, q := range []string{"?limit=abc", "?limit=0", "?limit=-1", "?limit=1.5", "?before=x", "?before=-1", "?before=99999999999999999999999", "?from=2026-12-07", "?to=yesterday"} {
		w := s.req("GET", "/audit"+q, "")
		if w.Code != 400 {
			t.Errorf("GET /audit%s: %d %s, want 400", q, w.Code, w.Body)
			continue
		}
		if e := apiError(t, w); e.Type != "bad_request" || !strings.Contains(e.Message, "query parameter") {
			t.Errorf("GET /audit%s: %+v", q, e)
		}
	}
	if p := s.audit("?user=nobody&from=2000-01-01T00:00:00Z"); len(p.Entries) != 0 || p.Next != nil {
		t.Errorf("filtered to nobody: %+v", p)
	}
	if w := s.req("GET", "/audit?from=2026-12-08T00:00:00Z&to=2026-12-07T00:00:00Z", ""); w.Code != 400 || apiError(t, w).Type != "invalid" {
		t.Errorf("a backwards range: %d %s, want 400 invalid", w.Code, w.Body)
	}
	if w := s.req("POST", "/audit", `{}`); w.Code != 405 {
		t.Errorf("POST /audit: %d", w.Code)
	}
	if p := s.audit(""); len(p.Entries) != 6 {
		t.Errorf("reading the log changed it: %d entries", len(p.Entries))
	}
}

func TestAdminAuditUnavailable(t *testing.T) {
	s := newServer(t) // no audit log
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/admin/audit", nil))
	if w.Code != 503 {
		t.Fatalf("GET /audit without a log: %d %s", w.Code, w.Body)
	}
	if e := apiError(t, w); e.Type != "unavailable" || !strings.Contains(e.Message, "no audit log") {
		t.Errorf("error %+v", e)
	}
}
