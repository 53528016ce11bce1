package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCrossSiteNavigation: only a GET navigation from another site is
// loaded again from the portal's origin; everything else without a login
// goes to the sign-in page as before.
func TestCrossSiteNavigation(t *testing.T) {
	for _, tt := range []struct {
		method, site, mode string
		want               bool
	}{
		{"GET", "cross-site", "navigate", true},
		{"GET", "same-origin", "navigate", false},
		{"GET", "same-site", "navigate", false},
		{"GET", "none", "navigate", false}, // typed into the address bar
		{"GET", "", "", false},             // not a browser that says
		{"GET", "cross-site", "cors", false},
		{"POST", "cross-site", "navigate", false},
	} {
		r := httptest.NewRequest(tt.method, "/sessions/x", nil)
		if tt.site != "" {
			r.Header.Set("Sec-Fetch-Site", tt.site)
			r.Header.Set("Sec-Fetch-Mode", tt.mode)
		}
		if got := crossSiteNavigation(r); got != tt.want {
			t.Errorf("%s %s %s: %v, want %v", tt.method, tt.site, tt.mode, got, tt.want)
		}
	}
	w := httptest.NewRecorder()
	openSameSite(w)
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" || !strings.Contains(w.Body.String(), `<meta http-equiv="refresh" content="0">`) {
		t.Errorf("the page that loads it again: %d %v\n%s", w.Code, w.Header(), w.Body)
	}
}
