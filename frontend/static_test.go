package frontend

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func serve(t *testing.T, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	StaticHandler().ServeHTTP(w, r)
	return w
}

func TestStaticVersionedAddressesAreKept(t *testing.T) {
	addr, err := Static("style.css")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(addr, "/static/style.css?v=") || len(addr) != len("/static/style.css?v=")+16 {
		t.Fatalf("Static(style.css) = %q", addr)
	}
	want, err := fs.ReadFile(FS, "static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	w := serve(t, addr, nil)
	if w.Code != http.StatusOK || w.Body.String() != string(want) {
		t.Fatalf("GET %s: %d, %d bytes; want 200 and the file's %d", addr, w.Code, w.Body.Len(), len(want))
	}
	if cc := w.Header().Get("Cache-Control"); cc != "max-age=31536000, immutable" {
		t.Errorf("GET %s: Cache-Control %q", addr, cc)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("GET %s: Content-Type %q", addr, ct)
	}
	etag := w.Header().Get("ETag")
	if etag != `"`+strings.TrimPrefix(addr, "/static/style.css?v=")+`"` {
		t.Errorf("GET %s: ETag %q", addr, etag)
	}

	// Without the version (a module's relative import), or with another
	// (a page of an older build): checked each time, unchanged is a 304.
	for _, target := range []string{"/static/style.css", "/static/style.css?v=0123456789abcdef"} {
		w := serve(t, target, nil)
		if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-cache" || w.Header().Get("ETag") != etag {
			t.Errorf("GET %s: %d, Cache-Control %q, ETag %q; want 200, no-cache, %s", target, w.Code, w.Header().Get("Cache-Control"), w.Header().Get("ETag"), etag)
		}
		if w := serve(t, target, http.Header{"If-None-Match": {etag}}); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
			t.Errorf("GET %s with If-None-Match %s: %d, %d bytes; want 304", target, etag, w.Code, w.Body.Len())
		}
	}
}

func TestStaticRefusesUnknownFiles(t *testing.T) {
	if addr, err := Static("nope.css"); err == nil || !strings.Contains(err.Error(), `"nope.css"`) {
		t.Errorf("Static(nope.css) = %q, %v; want an error naming it", addr, err)
	}
	w := serve(t, "/static/nope.css", nil)
	if w.Code != http.StatusNotFound || w.Header().Get("Cache-Control") != "" {
		t.Errorf("GET /static/nope.css: %d, Cache-Control %q; want 404 and none", w.Code, w.Header().Get("Cache-Control"))
	}
}

// Every file a template names with static exists: a page whose file is
// missing fails to render (Static's error), which the pages' tests see.
func TestEveryStaticFileHasAVersion(t *testing.T) {
	entries, err := fs.ReadDir(FS, "static")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, err := Static(e.Name()); err != nil {
			t.Errorf("%s: %v", e.Name(), err)
		}
	}
	if len(entries) == 0 {
		t.Fatal("no static files")
	}
}
