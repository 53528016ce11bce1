package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
)

// flash is what an action tells the page it redirects to
// (POST/redirect/GET), once.
type flash struct {
	Notice string `json:"n,omitempty"`
	// Secret is a new API token's secret, shown only on that page; Name is
	// its token's name.
	Secret string `json:"s,omitempty"`
	Name   string `json:"t,omitempty"`
}

// flashCookie carries a flash. Its __Host-simphony prefix keeps it on the
// portal's origin: the proxy never passes such cookies to a session, nor
// lets a session set them.
const flashCookie = "__Host-simphony-flash"

// setFlash keeps f for the next page, for a minute at most.
func setFlash(w http.ResponseWriter, f flash) {
	data, _ := json.Marshal(f) // strings only: never fails
	http.SetCookie(w, &http.Cookie{
		Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(data), Path: "/",
		MaxAge: 60, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode,
	})
}

// takeFlash returns the flash the request carries, and clears it.
func takeFlash(w http.ResponseWriter, r *http.Request) flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return flash{}
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	var f flash
	if data, err := base64.RawURLEncoding.DecodeString(c.Value); err == nil {
		_ = json.Unmarshal(data, &f)
	}
	return f
}
