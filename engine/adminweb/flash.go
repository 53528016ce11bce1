package adminweb

import (
	"net/http"
	"net/url"
	"strings"
)

// flashCookie carries the message of an action to the page it redirects
// to (POST/redirect/GET), once.
const flashCookie = "simphony_admin_flash"

// setFlash keeps msg for the next page; kind is "n" (a notice) or "e" (an
// error).
func setFlash(w http.ResponseWriter, r *http.Request, kind, msg string) {
	if msg == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: flashCookie, Value: url.QueryEscape(kind + ":" + msg), Path: Prefix,
		MaxAge: 60, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
}

// takeFlash returns the flash message the request carries, and clears it.
func takeFlash(w http.ResponseWriter, r *http.Request) (notice, errMsg string) {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return "", ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: Prefix, MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
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
