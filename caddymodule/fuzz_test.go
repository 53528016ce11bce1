package caddymodule

import (
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"
)

// FuzzSessionPath checks the proxy's reading of a session's path, as
// ServeHTTP does it (sessionPath, cleanSessionPath, badPath), on any
// request target: the name and url id it takes never hold a slash; the
// clean path is /user/{name}/containers/{url_id} and what followed;
// cleaning it again changes nothing; and a path the proxy lets through
// has no . or .. segment, no encoded slash or backslash, stays under the
// session's prefix however it is cleaned, and reads the same to the
// application (which parses the request line reverse_proxy sends) as to
// the proxy.
func FuzzSessionPath(f *testing.F) {
	id := "0123456789abcdef0123456789abcdef"
	for _, seed := range []string{
		"/user/alice/containers/" + id + "/",
		"/user/alice/containers/" + id,
		"//user//alice///containers//" + id + "/x?y=1",
		"/user/alice/containers/" + id + "//x",
		"/user/alice/containers/" + id + "/a%3Bb%20c",
		"/user/alice/containers/" + id + "/../../bob/containers/x/",
		"/user/alice/containers/" + id + "/%2e%2e/%2E%2E/x",
		"/user/alice/containers/" + id + "/a%2Fb",
		"/user/alice/containers/" + id + "/a%5cb",
		"/user/alice/containers/" + id + "/a\\..\\b",
		"/user/al%2Fice/containers/" + id + "/",
		"/user/alice/containers/%2e%2e/",
		"/user/alice/containers/./x/",
		"/user/alice/containers/" + id + "/.;/x",
		"/user/%61lice/containers/" + id + "/%252e%252e/",
		"/user/alice/containers/" + id + "/x%00y",
		"/user/alice/",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		m := sessionPath.FindStringSubmatch(u.Path)
		if m == nil {
			return
		}
		name, urlID, rest := m[1], m[2], m[3]
		if name == "" || urlID == "" || strings.Contains(name, "/") || strings.Contains(urlID, "/") {
			t.Fatalf("%q: name %q, url id %q", target, name, urlID)
		}
		if rest != "" && rest[0] != '/' {
			t.Fatalf("%q: what follows the url id, %q, does not start with /", target, rest)
		}
		cleanSessionPath(u, m)
		prefix := "/user/" + name + "/containers/" + urlID
		if u.Path != prefix+rest {
			t.Fatalf("%q: clean path %q, want %q", target, u.Path, prefix+rest)
		}
		again := sessionPath.FindStringSubmatch(u.Path)
		if !slices.Equal(again, append([]string{u.Path}, m[1:]...)) {
			t.Fatalf("%q: the clean path %q reads as %q, not %q", target, u.Path, again, m)
		}
		twice := *u
		cleanSessionPath(&twice, again)
		if twice.Path != u.Path || twice.RawPath != u.RawPath {
			t.Fatalf("%q: cleaning twice gives %q (raw %q), once %q (raw %q)", target, twice.Path, twice.RawPath, u.Path, u.RawPath)
		}
		if badPath(&http.Request{URL: u}) {
			return
		}
		for seg := range strings.SplitSeq(u.Path, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("%q: %q passes with a %q segment", target, u.Path, seg)
			}
		}
		escaped := strings.ToLower(u.EscapedPath())
		if strings.Contains(escaped, "%2f") || strings.Contains(escaped, "%5c") || strings.Contains(u.Path, `\`) {
			t.Fatalf("%q: %q passes with an encoded slash or a backslash", target, u.EscapedPath())
		}
		if clean := path.Clean(u.Path) + "/"; !strings.HasPrefix(clean, prefix+"/") {
			t.Fatalf("%q: %q cleans to %q, outside %s/", target, u.Path, clean, prefix)
		}
		upstream, err := url.ParseRequestURI(u.RequestURI())
		if err != nil || upstream.Path != u.Path {
			t.Fatalf("%q: the application reads %q as %q (%v), the proxy as %q", target, u.RequestURI(), upstream.Path, err, u.Path)
		}
	})
}

// FuzzCrossSite checks the cross-site check of unsafe requests to a
// session: what a browser marks as coming from another site, or with
// another origin, is refused; a same-origin request, and a request
// without browser marks (an API client), is not.
func FuzzCrossSite(f *testing.F) {
	for _, s := range [][3]string{
		{"", "", "appliance.test"},
		{"same-origin", "https://appliance.test", "appliance.test"},
		{"cross-site", "https://appliance.test", "appliance.test"},
		{"same-site", "https://0123.appliance.test", "appliance.test"},
		{"none", "", "appliance.test:8443"},
		{"", "https://evil.example", "appliance.test"},
		{"", "null", "appliance.test"},
		{"", "https://APPLIANCE.test", "appliance.test"},
		{"", "https://appliance.test:8443", "appliance.test"},
		{"", "https://user@appliance.test", "appliance.test"},
		{"", "%zz", "appliance.test"},
		{"", "null", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, site, origin, host string) {
		r := &http.Request{Host: host, Header: http.Header{}}
		if site != "" {
			r.Header.Set("Sec-Fetch-Site", site)
		}
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		got := crossSite(r)
		if (site == "cross-site" || site == "same-site") && !got {
			t.Fatalf("Sec-Fetch-Site %q passes", site)
		}
		if !got && origin != "" {
			u, err := url.Parse(origin)
			if err != nil || !strings.EqualFold(u.Host, host) {
				t.Fatalf("Origin %q passes for Host %q", origin, host)
			}
		}
		own, err := url.Parse("https://" + host)
		ownOrigin := err == nil && host != "" && own.Host == host
		sameOrigin := site == "" || site == "same-origin" || site == "none"
		if sameOrigin && (origin == "" || origin == "https://"+host) && ownOrigin && got {
			t.Fatalf("a same-origin request (Sec-Fetch-Site %q, Origin %q, Host %q) is refused", site, origin, host)
		}
	})
}
