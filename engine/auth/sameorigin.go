package auth

import (
	"net/http"
	"net/url"
)

// SameOrigin says whether an unsafe browser request comes from the
// appliance's own pages: browsers tell with Sec-Fetch-Site or Origin;
// clients that send neither are not browsers, and CSRF needs a browser.
func SameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin" || site == "none"
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		return err == nil && u.Host == r.Host
	}
	return true
}
