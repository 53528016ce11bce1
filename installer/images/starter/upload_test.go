package main

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// form builds a multipart body with files (name → content).
func form(t *testing.T, files ...[2]string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range files {
		fw, err := mw.CreateFormFile("file", f[0])
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write([]byte(f[1]))
	}
	_ = mw.Close()
	return &buf, mw.FormDataContentType()
}

// leftovers lists the files in dir whose name starts with the upload prefix.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), uploadPrefix) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestUpload(t *testing.T) {
	tests := []struct {
		name    string
		target  string
		files   [][2]string
		limit   int64
		status  int
		message string
		exist   map[string]string // relative path → content after the upload
		absent  []string
	}{
		{"two files", testBase + "?op=upload", [][2]string{{"x.txt", "xx"}, {"y.bin", "yyy"}}, 1 << 20, 303, "",
			map[string]string{"x.txt": "xx", "y.bin": "yyy"}, nil},
		{"into a subfolder", testBase + "sub/?op=upload", [][2]string{{"c.txt", "c"}}, 1 << 20, 303, "",
			map[string]string{"sub/c.txt": "c"}, nil},
		{"name clash", testBase + "?op=upload", [][2]string{{"new.txt", "n"}, {"a.txt", "overwrite!"}}, 1 << 20, 409, "exists already",
			map[string]string{"a.txt": "hello"}, []string{"new.txt"}},
		{"same name twice", testBase + "?op=upload", [][2]string{{"d.txt", "1"}, {"d.txt", "2"}}, 1 << 20, 400, "two files",
			nil, []string{"d.txt"}},
		{"over the limit", testBase + "?op=upload", [][2]string{{"small.txt", "ok"}, {"big.txt", strings.Repeat("z", 100)}}, 50, 413, "too large",
			nil, []string{"small.txt", "big.txt"}},
		{"bad name", testBase + "?op=upload", [][2]string{{"..", "x"}}, 1 << 20, 400, "cannot be",
			nil, nil},
		{"no file", testBase + "?op=upload", nil, 1 << 20, 400, "at least one file", nil, nil},
		{"missing folder", testBase + "nope/?op=upload", [][2]string{{"e.txt", "e"}}, 1 << 20, 404, "There is no",
			nil, []string{"nope/e.txt"}},
		{"to a file path", testBase + "a.txt?op=upload", [][2]string{{"f.txt", "f"}}, 1 << 20, 400, "must end with",
			nil, []string{"f.txt"}},
		{"unknown operation", testBase + "?op=chmod", [][2]string{{"g.txt", "g"}}, 1 << 20, 400, "Unknown operation",
			nil, []string{"g.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newFiles(t, tt.limit, false)
			body, ct := form(t, tt.files...)
			w := do(s, "POST", tt.target, body, ct)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if !strings.Contains(w.Body.String(), tt.message) {
				t.Errorf("body lacks %q: %s", tt.message, w.Body)
			}
			for rel, want := range tt.exist {
				got, err := os.ReadFile(filepath.Join(dir, rel))
				if err != nil || string(got) != want {
					t.Errorf("%s: %q, %v; want %q", rel, got, err, want)
				}
			}
			for _, rel := range tt.absent {
				if _, err := os.Lstat(filepath.Join(dir, rel)); err == nil {
					t.Errorf("%s exists, want it absent", rel)
				}
			}
			if l := leftovers(t, dir); len(l) > 0 {
				t.Errorf("temporary files left behind: %v", l)
			}
		})
	}
}

// TestUploadStreamed goes through a real HTTP server, where an over-limit
// upload is cut off by its announced length.
func TestUploadStreamed(t *testing.T) {
	s, dir := newFiles(t, 1000, false)
	srv := httptest.NewServer(methods(s))
	t.Cleanup(srv.Close)
	for _, tt := range []struct {
		size   int
		status int
	}{{900, http.StatusSeeOther}, {5 << 20, http.StatusRequestEntityTooLarge}} {
		name := strings.Repeat("f", 1+tt.size%7) + ".dat"
		body, ct := form(t, [2]string{name, strings.Repeat("q", tt.size)})
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Post(srv.URL+testBase+"?op=upload", ct, body)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%d bytes: status %d, want %d", tt.size, resp.StatusCode, tt.status)
		}
		_, err = os.Stat(filepath.Join(dir, name))
		if stored := err == nil; stored != (tt.status == http.StatusSeeOther) {
			t.Errorf("%d bytes: stored %v", tt.size, stored)
		}
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("temporary files left behind: %v", l)
	}
}

func TestMkdir(t *testing.T) {
	tests := []struct {
		name, folder string
		status       int
		message      string
	}{
		{"new", "results", 303, ""},
		{"with spaces", "my results 2", 303, ""},
		{"exists", "sub", 409, "exists already"},
		{"clashes with a file", "a.txt", 409, "exists already"},
		{"empty", "", 400, "cannot be empty"},
		{"dot", ".", 400, "cannot be"},
		{"dot dot", "..", 400, "cannot be"},
		{"slash", "x/y", 400, "cannot contain"},
		{"NUL", "x\x00y", 400, "cannot contain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newFiles(t, 1<<20, false)
			body := bytes.NewBufferString("name=" + url.QueryEscape(tt.folder))
			w := do(s, "POST", testBase+"?op=mkdir", body, "application/x-www-form-urlencoded")
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if !strings.Contains(w.Body.String(), tt.message) {
				t.Errorf("body lacks %q: %s", tt.message, w.Body)
			}
			if tt.status == 303 {
				if fi, err := os.Stat(filepath.Join(dir, tt.folder)); err != nil || !fi.IsDir() {
					t.Errorf("folder %q not created: %v", tt.folder, err)
				}
				if got := w.Header().Get("Location"); got != testBase {
					t.Errorf("Location %q, want %q", got, testBase)
				}
			}
		})
	}
}
