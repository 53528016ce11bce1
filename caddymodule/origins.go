package caddymodule

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/auth"
)

// In subdomain mode each session has an origin of its own,
// https://{url_id}.{SessionHost}:{port}, with the same path as in path
// mode (/user/{name}/containers/{url_id}/…, what images expect), so that a
// session's scripts cannot read the portal, its API or another session:
// the browser keeps origins apart. The portal's cookies are host-only and
// never reach a session's origin; a browser signed in on the portal is
// carried there by a single-use ticket (Handoff), which the session's
// origin redeems at EnterPath for a cookie of its own (auth.Origins).

// EnterPath is where a session's origin redeems a ticket:
// EnterPath?ticket=…&next=/user/{name}/containers/{url_id}/….
const EnterPath = "/.simphony-remote/enter"

// sessionOrigin says whether host (with or without a port) is a session's
// origin, and whose: a label before SessionHost. A label that is no url id
// is still no portal: it gets the session origin's 404s.
func (h *Handler) sessionOrigin(host string) (string, bool) {
	if h.SessionHost == "" {
		return "", false
	}
	if name, _, err := net.SplitHostPort(host); err == nil {
		host = name
	}
	label, ok := strings.CutSuffix(strings.ToLower(strings.TrimSuffix(host, ".")), "."+h.SessionHost)
	if !ok || label == "" || strings.Contains(label, ".") {
		return "", false
	}
	return label, true
}

// originURL is the address of session urlID's origin (urlID empty: the
// portal's) on the port r came to.
func (h *Handler) originURL(r *http.Request, urlID string) string {
	host := h.SessionHost
	if urlID != "" {
		host = urlID + "." + host
	}
	if _, port, err := net.SplitHostPort(r.Host); err == nil && port != "443" {
		host = net.JoinHostPort(host, port)
	}
	return "https://" + host
}

// handoff sends a caller authorised on the portal's origin to the
// session's own: a browser with a ticket, an API client (whose token the
// session's origin takes as well) straight there.
func (h *Handler) handoff(w http.ResponseWriter, r *http.Request, id auth.Identity, urlID string) {
	target := h.originURL(r, urlID) + r.URL.RequestURI()
	if id.Via != auth.ViaCookie {
		http.Redirect(w, r, target, http.StatusTemporaryRedirect)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.b.Refuse(w, r, http.StatusForbidden, "this session is served at "+h.originURL(r, urlID)+", not here")
		return
	}
	ticket, err := h.b.Ticket(id, urlID)
	if err != nil {
		h.b.Refuse(w, r, http.StatusServiceUnavailable, "too many sign-ins into sessions at once: try again in a minute")
		return
	}
	q := url.Values{"ticket": {ticket}, "next": {r.URL.RequestURI()}}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, h.originURL(r, urlID)+EnterPath+"?"+q.Encode(), http.StatusFound)
}

// serveOrigin serves a request to session urlID's origin: the ticket's
// redemption, and that session's path; nothing else (no portal, no API,
// no other session).
func (h *Handler) serveOrigin(w http.ResponseWriter, r *http.Request, urlID string) error {
	if !accounting.IsMappingID(urlID) {
		h.b.Refuse(w, r, http.StatusNotFound, notFound)
		return nil
	}
	if r.URL.Path == EnterPath {
		h.enter(w, r, urlID)
		return nil
	}
	m := sessionPath.FindStringSubmatch(r.URL.Path)
	if m == nil || m[2] != urlID {
		h.b.Refuse(w, r, http.StatusNotFound, "there is nothing but session "+urlID+" at this address")
		return nil
	}
	cleanSessionPath(r.URL, m)
	if badPath(r) {
		h.b.Refuse(w, r, http.StatusBadRequest, "bad path: encoded slashes and . or .. segments are not allowed")
		return nil
	}
	id, ok := h.b.IdentifyOrigin(r, urlID)
	if !ok {
		if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
			// The portal hands the browser back with a ticket, or asks
			// it to sign in first.
			http.Redirect(w, r, h.originURL(r, "")+r.URL.RequestURI(), http.StatusFound)
			return nil
		}
		unauthenticated(w, r)
		return nil
	}
	route, access, ok := h.authorise(w, r, id, m[1], urlID)
	if !ok {
		return nil
	}
	return h.proxy(w, r, id, route, access, m[3])
}

// enter redeems a ticket and sends the browser on to next, a path inside
// this same session. Only a GET with a good next spends the ticket: a
// prefetcher's HEAD, or a bad link, leaves it for the real visit.
func (h *Handler) enter(w http.ResponseWriter, r *http.Request, urlID string) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		h.b.Refuse(w, r, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	next := r.URL.Query().Get("next")
	if !inSession(next, urlID) {
		h.b.Refuse(w, r, http.StatusBadRequest, "the address to go on to is not inside this session")
		return
	}
	cookie, ok := h.b.Enter(r.Context(), r.URL.Query().Get("ticket"), urlID)
	if !ok {
		h.b.Refuse(w, r, http.StatusForbidden, "this sign-in link has expired or was used already: open the session from the portal again")
		return
	}
	http.SetCookie(w, cookie)
	if dest := r.Header.Get("Sec-Fetch-Dest"); dest == "iframe" || dest == "frame" {
		// In the portal's frame, where the browser may not keep the Lax
		// cookie (auth.FramedCookieName).
		http.SetCookie(w, auth.Framed(cookie))
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// inSession says whether next is a path (and query) inside session urlID,
// as the proxy would read it.
func inSession(next, urlID string) bool {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return false
	}
	u, err := url.ParseRequestURI(next)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return false
	}
	m := sessionPath.FindStringSubmatch(u.Path)
	if m == nil || m[2] != urlID {
		return false
	}
	return !badPath(&http.Request{URL: u})
}

// sameOriginUpgrade says whether a WebSocket handshake may go on: it comes
// from a page of the origin it asks (the session's own in subdomain mode,
// the portal's in path mode), or from no page at all (a client other than
// a browser, which sends no Origin).
func sameOriginUpgrade(r *http.Request) bool {
	origin := r.Header.Values("Origin")
	if len(origin) == 0 {
		return true
	}
	u, err := url.Parse(origin[0])
	if len(origin) > 1 || err != nil {
		return false
	}
	scheme := "https"
	if r.TLS == nil {
		scheme = "http" // make bench's plain twin
	}
	return strings.EqualFold(u.Scheme, scheme) && strings.EqualFold(u.Host, r.Host) && u.Path == "" && u.User == nil
}

// dropOurCookies removes from a session's response every Set-Cookie for
// the appliance's own cookie names (__Host-simphony…), however its name is
// spelt: a session must not set, replace or shadow the appliance's
// cookies in its users' browsers.
func dropOurCookies(h http.Header) {
	lines := h.Values("Set-Cookie")
	if len(lines) == 0 {
		return
	}
	var keep []string
	for _, line := range lines {
		if !ourCookie(line) {
			keep = append(keep, line)
		}
	}
	h.Del("Set-Cookie")
	for _, line := range keep {
		h.Add("Set-Cookie", line)
	}
}

// ourCookie says whether a Set-Cookie line names one of the appliance's
// cookies: its name, trimmed of the blanks and quotes browsers drop, in
// any case; or, for a cookie without a name, its value (which some
// browsers send as if it were name=value).
func ourCookie(line string) bool {
	pair, _, _ := strings.Cut(line, ";")
	name, value, ok := strings.Cut(pair, "=")
	if trimmed := strings.Trim(name, " \t\"\v\f\r\n"); !ok || trimmed == "" {
		name = value
		if !ok {
			name = pair
		}
	}
	name = strings.ToLower(strings.Trim(name, " \t\"\v\f\r\n"))
	return strings.HasPrefix(name, "__host-simphony")
}
