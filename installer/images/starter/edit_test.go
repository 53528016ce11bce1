package main

import (
	"bytes"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// post sends a urlencoded form to target.
func post(s *fileServer, target string, form url.Values) *httptest.ResponseRecorder {
	return do(s, "POST", target, bytes.NewBufferString(form.Encode()), "application/x-www-form-urlencoded")
}

func TestRename(t *testing.T) {
	tests := []struct {
		name, target, from, to string
		status                 int
		message                string
		exist                  map[string]string // relative path → content after
		absent                 []string
	}{
		{"a file", testBase + "?op=rename", "a.txt", "renamed.txt", 303, "",
			map[string]string{"renamed.txt": "hello"}, []string{"a.txt"}},
		{"in a subfolder", testBase + "sub/?op=rename", "b.txt", "c.txt", 303, "",
			map[string]string{"sub/c.txt": "inner"}, []string{"sub/b.txt"}},
		{"a folder", testBase + "?op=rename", "sub", "folder", 303, "",
			map[string]string{"folder/b.txt": "inner"}, []string{"sub"}},
		{"a name with spaces and accents", testBase + "?op=rename", "a.txt", "résumé 1.txt", 303, "",
			map[string]string{"résumé 1.txt": "hello"}, []string{"a.txt"}},
		{"onto an existing file", testBase + "?op=rename", "a.txt", "sub", 409, `&#34;sub&#34; exists already`,
			map[string]string{"a.txt": "hello", "sub/b.txt": "inner"}, nil},
		{"onto itself", testBase + "?op=rename", "a.txt", "a.txt", 409, "exists already",
			map[string]string{"a.txt": "hello"}, nil},
		{"a slash in the new name", testBase + "?op=rename", "a.txt", "sub/a.txt", 400, "cannot contain &#39;/&#39;",
			map[string]string{"a.txt": "hello"}, []string{"sub/a.txt"}},
		{"dot dot as the new name", testBase + "?op=rename", "a.txt", "..", 400, "cannot be &#34;.&#34; or &#34;..&#34;",
			map[string]string{"a.txt": "hello"}, nil},
		{"dot dot up", testBase + "sub/?op=rename", "b.txt", "../b.txt", 400, "cannot contain &#39;/&#39;",
			map[string]string{"sub/b.txt": "inner"}, []string{"b.txt"}},
		{"an empty new name", testBase + "?op=rename", "a.txt", "", 400, "cannot be empty",
			map[string]string{"a.txt": "hello"}, nil},
		{"a missing file", testBase + "?op=rename", "nope.txt", "x.txt", 404, "There is no",
			nil, []string{"x.txt"}},
		{"a slash in the old name", testBase + "?op=rename", "sub/b.txt", "x.txt", 400, "cannot contain",
			map[string]string{"sub/b.txt": "inner"}, []string{"x.txt"}},
		{"a file as the folder", testBase + "a.txt?op=rename", "a.txt", "x.txt", 400, "must end with",
			map[string]string{"a.txt": "hello"}, []string{"x.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newFiles(t, 1<<20, false)
			w := post(s, tt.target, url.Values{"name": {tt.from}, "to": {tt.to}})
			check(t, w, dir, tt.status, tt.message, tt.exist, tt.absent)
			if tt.status == 303 && w.Header().Get("Location") != strings.Split(tt.target, "?")[0] {
				t.Errorf("sent to %q, want the folder", w.Header().Get("Location"))
			}
		})
	}
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name, target, entry string
		status              int
		message             string
		exist               map[string]string
		absent              []string
	}{
		{"a file", testBase + "?op=delete", "a.txt", 303, "", map[string]string{"sub/b.txt": "inner"}, []string{"a.txt"}},
		{"in a subfolder", testBase + "sub/?op=delete", "b.txt", 303, "", map[string]string{"a.txt": "hello"}, []string{"sub/b.txt"}},
		{"an empty folder", testBase + "?op=delete", "empty", 303, "", nil, []string{"empty"}},
		{"a folder that is not empty", testBase + "?op=delete", "sub", 409, "is not empty",
			map[string]string{"sub/b.txt": "inner"}, nil},
		{"a link", testBase + "?op=delete", "link", 303, "", map[string]string{"a.txt": "hello"}, []string{"link"}},
		{"a missing file", testBase + "?op=delete", "nope.txt", 404, "There is no", nil, nil},
		{"dot dot", testBase + "sub/?op=delete", "..", 400, "cannot be", map[string]string{"a.txt": "hello"}, nil},
		{"a path", testBase + "?op=delete", "sub/b.txt", 400, "cannot contain", map[string]string{"sub/b.txt": "inner"}, nil},
		{"no name", testBase + "?op=delete", "", 400, "cannot be empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newFiles(t, 1<<20, false)
			if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
				t.Fatal(err)
			}
			// A link to a.txt: deleting it leaves a.txt.
			if err := os.Symlink("a.txt", filepath.Join(dir, "link")); err != nil {
				t.Fatal(err)
			}
			w := post(s, tt.target, url.Values{"name": {tt.entry}})
			check(t, w, dir, tt.status, tt.message, tt.exist, tt.absent)
		})
	}
}

// check compares an answer and the workspace with what a test expects.
func check(t *testing.T, w *httptest.ResponseRecorder, dir string, status int, message string, exist map[string]string, absent []string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	if !strings.Contains(w.Body.String(), message) {
		t.Errorf("body lacks %q: %s", message, w.Body)
	}
	for rel, want := range exist {
		got, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", rel, got, err, want)
		}
	}
	for _, rel := range absent {
		if _, err := os.Lstat(filepath.Join(dir, rel)); err == nil {
			t.Errorf("%s exists, want it absent", rel)
		}
	}
}

// The listing links each entry to its rename and delete forms, which ask
// before anything changes.
func TestAskAction(t *testing.T) {
	s, dir := newFiles(t, 1<<20, false)
	list := do(s, "GET", testBase, nil, "").Body.String()
	for _, want := range []string{
		`<th scope="col">Name</th>`, `<th scope="col" class="act">Actions</th>`,
		`href="` + testBase + `?op=rename&amp;name=a.txt"`, `href="` + testBase + `?op=delete&amp;name=sub"`,
		`<label>Upload files <input type="file"`,
	} {
		if !strings.Contains(list, want) {
			t.Errorf("the listing lacks %s:\n%s", want, list)
		}
	}
	tests := []struct {
		name, target string
		status       int
		want         []string
	}{
		{"rename a file", testBase + "?op=rename&name=a.txt", 200, []string{
			`action="` + testBase + `?op=rename"`, `name="name" value="a.txt"`, `name="to" value="a.txt"`, `href="` + testBase + `">Cancel`}},
		{"delete a file", testBase + "?op=delete&name=a.txt", 200, []string{
			`action="` + testBase + `?op=delete"`, `Delete the file <strong>a.txt</strong>?`}},
		{"delete a folder", testBase + "?op=delete&name=sub", 200, []string{`Delete the folder <strong>sub</strong>?`, "Only an empty folder"}},
		{"in a subfolder", testBase + "sub/?op=delete&name=b.txt", 200, []string{`action="` + testBase + `sub/?op=delete"`}},
		{"a missing file", testBase + "?op=delete&name=nope", 404, []string{"There is no"}},
		{"a bad name", testBase + "?op=rename&name=..", 400, []string{"cannot be"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(s, "GET", tt.target, nil, "")
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			for _, want := range tt.want {
				if !strings.Contains(w.Body.String(), want) {
					t.Errorf("the page lacks %s:\n%s", want, w.Body)
				}
			}
		})
	}
	// Asking changed nothing.
	if _, err := os.Stat(filepath.Join(dir, "a.txt")); err != nil {
		t.Errorf("a.txt after asking: %v", err)
	}
}

// The link back to the portal: on a session's own origin
// ({url_id}.{host}) the portal is {host}; on the portal's (path mode), /.
// It leaves the session page's frame (target _top), rather than loading
// the portal inside the toolbar.
func TestPortalLink(t *testing.T) {
	s, _ := newFiles(t, 1<<20, false)
	for host, want := range map[string]string{
		"0123456789abcdef0123456789abcdef.localhost:8443": "https://localhost:8443/",
		"0123456789ABCDEF0123456789ABCDEF.lab.example":    "https://lab.example/",
		"localhost:8443":       "/",
		"other.localhost:8443": "/",
	} {
		r := httptest.NewRequest("GET", testBase, nil)
		r.Host = host
		w := httptest.NewRecorder()
		methods(s).ServeHTTP(w, r)
		if link := `<a class="portal" href="` + want + `" target="_top">`; !strings.Contains(w.Body.String(), link) {
			t.Errorf("Host %s: the page lacks %s", host, link)
		}
	}
}

// The files app's pages leave framing to the appliance: a frame-ancestors
// of its own ('self', the session's origin) would keep the session page's
// toolbar, on the portal's origin, from showing it in subdomain mode.
func TestPagesLeaveFramingToTheAppliance(t *testing.T) {
	s, _ := newFiles(t, 1<<20, false)
	r := httptest.NewRequest("GET", testBase, nil)
	w := httptest.NewRecorder()
	methods(s).ServeHTTP(w, r)
	csp := w.Header().Get("Content-Security-Policy")
	if csp == "" || strings.Contains(csp, "frame-ancestors") || w.Header().Get("X-Frame-Options") != "" {
		t.Errorf("the files page's CSP %q (X-Frame-Options %q): want a policy without frame-ancestors", csp, w.Header().Get("X-Frame-Options"))
	}
}
