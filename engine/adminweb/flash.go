package adminweb

import (
	"net/http"
	"net/url"
	"strings"
)

// flashCookie carries the message of an action to the page it redirects
// to (POST/redirect/GET), once. A __Host- cookie (host-only, Secure,
// Path=/): no other host of the site, such as a session's origin, can set
// one for the admin pages with Domain=, and the proxy keeps every
// __Host-simphony cookie from the sessions.
const flashCookie = "__Host-simphony-admin-flash"

// setFlash keeps msg for the next page; kind is "n" (a notice) or "e" (an
// error).
func setFlash(w http.ResponseWriter, r *http.Request, kind, msg string) {
	if msg == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: flashCookie, Value: url.QueryEscape(kind + ":" + msg), Path: "/",
		MaxAge: 60, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode,
	})
}

// takeFlash returns the flash message the request carries, and clears it.
func takeFlash(w http.ResponseWriter, r *http.Request) (notice, errMsg string) {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return "", ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	v, err := url.QueryUnescape(c.Value)
	if err != nil {
		return "", ""
	}
	kind, msg, _ := strings.Cut(v, ":")
	if kind == "e" {
		return "", msg
	}
	return msg, ""
}
