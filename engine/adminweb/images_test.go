package adminweb_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/adminweb"
	"github.com/simphony/simphony-remote/engine/audit"
)

// importer is the admin service as far as the images page goes: it counts
// the bytes of the tarballs it is given, reading them as they come.
type importer struct {
	admin.Service
	got      int64
	readOnly bool
}

func (f *importer) ImportImages(_ context.Context, r io.Reader) (admin.ImportResult, error) {
	n, err := io.Copy(io.Discard, r)
	f.got = n
	return admin.ImportResult{Images: []admin.ImportedImage{{Name: "lab/imported:1", HasProtocol: true}}}, err
}

func (f *importer) Info(context.Context) (admin.Info, error) {
	return admin.Info{Backend: "csv", ReadOnly: f.readOnly}, nil
}

func newImporter(t *testing.T) (*importer, http.Handler) {
	t.Helper()
	f := &importer{}
	h, err := adminweb.New(adminweb.Deps{
		Service: f,
		Authorize: func(*http.Request) (audit.Actor, string, bool) {
			return audit.Actor{Name: "root"}, csrf, true
		},
		Refuse: func(w http.ResponseWriter, _ *http.Request, status int, msg string) { http.Error(w, msg, status) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return f, h
}

// upload is a multipart body with the CSRF token (when given) and a
// tarball of size bytes.
func upload(t *testing.T, token string, size int) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if token != "" {
		if err := mw.WriteField("csrf_token", token); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("tarball", "images.tar")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(bytes.Repeat([]byte{'x'}, size)); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &body, mw.FormDataContentType()
}

// TestImportStreams: a tarball far larger than a form may be reaches the
// service whole, after the CSRF token; without the token nothing does.
func TestImportStreams(t *testing.T) {
	f, h := newImporter(t)
	const size = 8 << 20
	body, ctype := upload(t, csrf, size)
	r := httptest.NewRequest(http.MethodPost, "/admin/images/import", body)
	r.Header.Set("Content-Type", ctype)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusSeeOther || f.got != size {
		t.Fatalf("importing: %d, the service read %d bytes, want %d", w.Code, f.got, size)
	}
	if c := w.Header().Get("Set-Cookie"); !strings.Contains(c, "lab%2Fimported") {
		t.Errorf("the flash message: %q", c)
	}

	f.got = -1
	body, ctype = upload(t, "", 1024)
	r = httptest.NewRequest(http.MethodPost, "/admin/images/import", body)
	r.Header.Set("Content-Type", ctype)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden || f.got != -1 {
		t.Errorf("importing without the CSRF token: %d, the service read %d bytes", w.Code, f.got)
	}
}

func (f *importer) Images(context.Context) ([]admin.Image, error) {
	return []admin.Image{{Name: "lab/unused:1", Size: 1 << 20}, {Name: "lab/app:1", HasProtocol: true, Registered: true, UIName: "App"}}, nil
}

func (f *importer) Starters(context.Context) (admin.StartersBuild, error) {
	return admin.StartersBuild{Running: true, Log: []string{"step 1/9 : FROM debian"}}, nil
}

// TestImagesPage: a starters build under way shows its log in a part that
// refreshes itself; only an unused image offers removal.
func TestImagesPage(t *testing.T) {
	_, h := newImporter(t)
	r := httptest.NewRequest(http.MethodGet, "/admin/images", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	body := w.Body.String()
	for _, want := range []string{`data-refresh="on"`, "step 1/9 : FROM debian", `href="/admin/images/remove?ref=lab%2funused%3a1"`, `http-equiv="refresh"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the images page lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "remove?ref=lab%2fapp") {
		t.Error("the images page offers to remove an application's image")
	}
}
