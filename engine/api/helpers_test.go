package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/volumes"
)

// images is an ImageChecker that has a fixed set of images.
type images map[string]bool

func (i images) ImageExists(_ context.Context, image string) error {
	if i[image] {
		return nil
	}
	return fmt.Errorf("looking up image %s: %w", image, docker.ErrNotFound)
}

// server is the admin API on a Local on a fresh bbolt store.
type server struct {
	t   *testing.T
	h   http.Handler
	svc *admin.Local
	log *bytes.Buffer
}

// newServer's volumes may lie under /nonexistent/lab only, unless volumeRoots
// says otherwise.
func newServer(t *testing.T, volumeRoots ...string) *server {
	t.Helper()
	s, err := boltdb.Init(filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if volumeRoots == nil {
		volumeRoots = []string{"/nonexistent/lab"}
	}
	svc := admin.NewLocal(s, admin.Options{Images: images{"lab/tool:2.1": true},
		Volumes: volumes.New(volumes.Options{AllowedRoots: volumeRoots})})
	var log bytes.Buffer
	return &server{t: t, h: api.AdminHandler(svc, zerolog.New(&log)), svc: svc, log: &log}
}

// req sends a request; a body is sent as application/json.
func (s *server) req(method, path, body string) *httptest.ResponseRecorder {
	s.t.Helper()
	return s.reqType(method, path, body, "application/json")
}

func (s *server) reqType(method, path, body, contentType string) *httptest.ResponseRecorder {
	s.t.Helper()
	r := httptest.NewRequest(method, "/api/v1/admin"+path, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	return w
}

// ok sends a request that must answer status, and returns the body.
func (s *server) ok(status int, method, path, body string) string {
	s.t.Helper()
	w := s.req(method, path, body)
	if w.Code != status {
		s.t.Fatalf("%s %s: %d %s, want %d", method, path, w.Code, w.Body, status)
	}
	return w.Body.String()
}

// apiError decodes an error answer.
func apiError(t *testing.T, w *httptest.ResponseRecorder) wire.Error {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("error answer of type %q", ct)
	}
	var e wire.Error
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error answer %q: %v", w.Body, err)
	}
	return e
}

// compact re-encodes JSON without spaces, for comparisons.
func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("not JSON: %q: %v", s, err)
	}
	return b.String()
}
