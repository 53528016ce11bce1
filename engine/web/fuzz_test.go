package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzSafeNext checks the sign-in page's next: whatever a link carries,
// the redirect after signing in stays on the appliance, read as a browser
// reads a Location (tabs and newlines dropped, backslashes as slashes,
// leading spaces and control characters trimmed).
func FuzzSafeNext(f *testing.F) {
	for _, seed := range []string{
		"/", "/user/alice/containers/0123456789abcdef0123456789abcdef/?x=1#y", "/admin/",
		"//evil.example/", "/\\evil.example", "\\\\evil.example", "https://evil.example/",
		"javascript:alert(1)", "/\t/evil.example", "/\n/evil.example", " //evil.example",
		"/.//evil.example", "/..//evil.example", "/./\\evil.example", "/%2F/evil.example",
		"/%5Cevil.example", "/?//evil.example", "/#//evil.example", "http:/evil.example",
		"/\u3000/evil.example", "///evil.example", "", "evil.example", "/a/../../\\evil.example",
	} {
		f.Add(seed)
	}
	base, _ := url.Parse("https://appliance.test/login")
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got != "/" && got != next {
			t.Fatalf("safeNext(%q) = %q, neither the input nor /", next, got)
		}
		// What login sends: http.Redirect, which cleans the path.
		w := httptest.NewRecorder()
		http.Redirect(w, httptest.NewRequest(http.MethodPost, "https://appliance.test/login", nil), got, http.StatusSeeOther)
		for _, loc := range []string{got, w.Header().Get("Location")} {
			read := browserRead(loc)
			if !strings.HasPrefix(read, "/") || strings.HasPrefix(read, "//") {
				t.Fatalf("safeNext(%q) = %q: a browser reads %q as another host's", next, loc, read)
			}
			u, err := url.Parse(read)
			if err != nil {
				t.Fatalf("safeNext(%q) = %q: %v", next, loc, err)
			}
			if u.Scheme != "" || u.Host != "" || u.User != nil || base.ResolveReference(u).Host != base.Host {
				t.Fatalf("safeNext(%q) = %q leaves the appliance", next, loc)
			}
		}
	})
}

// browserRead is a Location as the WHATWG URL parser sees it before
// resolving it: leading and trailing C0 controls and spaces trimmed, tabs
// and newlines removed, backslashes taken as slashes (special schemes).
func browserRead(loc string) string {
	loc = strings.TrimFunc(loc, func(r rune) bool { return r <= ' ' })
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(loc)
	return strings.ReplaceAll(loc, `\`, "/")
}
