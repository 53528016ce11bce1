package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRequireSessionKey(t *testing.T) {
	var seen http.Header
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.Header.Clone() })
	h := requireSessionKey("s3cret", inner)
	for _, tt := range []struct {
		name   string
		header http.Header
		want   int
	}{
		{"no key", http.Header{"X-Remote-User": {"alice"}}, http.StatusForbidden},
		{"a wrong key", http.Header{headerSessionKey: {"guess"}}, http.StatusForbidden},
		{"an empty key", http.Header{headerSessionKey: {""}}, http.StatusForbidden},
		{"a WebSocket without the key", http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}}, http.StatusForbidden},
		{"the key", http.Header{headerSessionKey: {"s3cret"}, "X-Remote-User": {"alice"}}, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			seen = nil
			req := httptest.NewRequest(http.MethodGet, "/user/alice/containers/x/", nil)
			req.Header = tt.header
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			if tt.want != http.StatusOK && seen != nil {
				t.Error("a refused request reached the application")
			}
			if tt.want == http.StatusOK && (seen.Get(headerSessionKey) != "" || seen.Get("X-Remote-User") != "alice") {
				t.Errorf("the application saw %v; want X-Remote-User and no key", seen)
			}
		})
	}
	// Without a key (started by hand or by an older appliance) anything
	// passes, as before.
	rec := httptest.NewRecorder()
	requireSessionKey("", inner).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("with no key: %d", rec.Code)
	}
}
