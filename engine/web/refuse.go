package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/problem"
)

// Refuse answers a request that the appliance turns down with status and
// message, in the form the caller reads: the appliance's error page (with
// its way back to the portal) for browsers, the API's JSON error
// ({"type","message"}) for other clients. The proxy module writes its
// refusals of session requests through it, so that there is one error page.
func (h *Handler) Refuse(w http.ResponseWriter, r *http.Request, status int, message string) {
	if !wantsHTML(r) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(wire.Error{Type: problem.TypeOf(status), Message: message})
		return
	}
	securityHeaders(w)
	id, _ := h.d.Resolver.Identify(r)
	h.fail(w, id, status, heading(status), sentence(message), nil)
}

// wantsHTML says whether a browser asked: API clients do not ask for HTML.
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

func heading(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Not found"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusBadRequest:
		return "Bad address"
	case http.StatusBadGateway:
		return "Application unavailable"
	}
	return http.StatusText(status)
}

// sentence turns an error message into a sentence for a page.
func sentence(msg string) string {
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}
