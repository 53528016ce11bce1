package web

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/shares"
)

// SessionPagePrefix is where the portal shows a running session in a
// frame under its toolbar: /sessions/{url_id}. The session itself stays
// at its own address (/user/{name}/containers/{url_id}/, on its own origin
// in subdomain mode), which still opens without the toolbar.
const SessionPagePrefix = "/sessions/"

// SessionPath is the toolbar page of session urlID.
func SessionPath(urlID string) string { return SessionPagePrefix + urlID }

// sessionView is the toolbar page's session.
type sessionView struct {
	URLID, Name, Owner string
	// Frame is what the frame opens: the session's path, with noVNC's
	// settings for a desktop.
	Frame string
	// Owned: the caller's own session; Mode is a share's (view, control).
	Owned bool
	Mode  string
	// Desktop: a VNC desktop, which gets the resolution choice.
	Desktop bool
	// Shareable: the owner may share it (the grant allows viewing).
	Shareable bool
	Share     *shareDialog
	// Poll is the JSON API address that says whether it still runs.
	Poll    string
	Started string
}

// sessionPage shows a running session in a frame under the toolbar, to
// its owner and to the users it is shared with; to anybody else, the same
// 404 as the proxy's.
func (h *Handler) sessionPage(w http.ResponseWriter, r *http.Request) {
	id, ok := h.requireUser(w, r)
	if !ok {
		return
	}
	urlID := r.PathValue("url_id")
	rt, found := h.d.Sessions.Get(urlID)
	v := sessionView{URLID: urlID, Owned: found && rt.User == id.User}
	if found && !v.Owned {
		if sh, shared := h.d.Shares.Lookup(urlID, id.User); shared {
			v.Mode = string(sh.Mode)
		} else {
			found = false
		}
	}
	if !found || !accounting.IsMappingID(urlID) {
		h.Refuse(w, r, http.StatusNotFound, "no session you may use is at this address: it has ended, or it is not yours")
		return
	}
	v.Owner, v.Name, v.Started = rt.User, rt.Image, startedText(rt)
	img, described := session.Describe(r.Context(), h.d.Image, []string{rt.Image}).Images[rt.Image]
	if described && img.UIName != "" {
		v.Name = img.UIName
	}
	v.Desktop = described && img.Type == protocol.TypeVNC
	v.Frame = shares.OpenPath(rt.URLPath, img.Type, shares.Mode(v.Mode))
	if v.Owned {
		v.Poll = "/api/v1/containers/" + urlID
		if v.Shareable = h.shareable(r, id.User, rt.MappingID); v.Shareable {
			v.Share = h.shareDialog(r, id, urlID, v.Name, SessionPath(urlID))
		}
	} else {
		v.Poll = "/api/v1/shared"
	}
	p := h.pageFor(id, v.Name)
	p.Session = &v
	w.Header().Set("Content-Security-Policy", sessionPageCSP(h.d.SessionHost, r.Host))
	h.render(w, http.StatusOK, "session", p)
}

// shareable says whether user's grant mappingID lets them share.
func (h *Handler) shareable(r *http.Request, user, mappingID string) bool {
	grants, err := h.d.Accounts.Grants(r.Context(), user)
	if err != nil {
		return false
	}
	for _, g := range grants {
		if g.MappingID == mappingID {
			return g.Policy.AllowView
		}
	}
	return false
}

func startedText(rt routes.Route) string {
	if rt.Started.IsZero() {
		return ""
	}
	return rt.Started.UTC().Format("2006-01-02 15:04 UTC")
}

// sessionPageCSP is the portal's policy for the toolbar page: the pages'
// own, with frames from the portal's origin (path mode) or from the
// sessions' origins on the port the page was reached on (subdomain mode),
// and from nowhere else.
func sessionPageCSP(sessionHost, requestHost string) string {
	frames := "'self'"
	if sessionHost != "" {
		host := "*." + sessionHost
		if _, port, err := net.SplitHostPort(requestHost); err == nil && port != "443" {
			host = net.JoinHostPort(host, port)
		}
		frames += " https://" + host
	}
	return strings.Replace(pageCSP, "default-src 'self';", "default-src 'self'; frame-src "+frames+";", 1)
}

// sessionBack is where a form of the toolbar page returns to: the page
// itself, or the portal.
func sessionBack(r *http.Request) string {
	back := r.PostFormValue("back")
	if rest, ok := strings.CutPrefix(back, SessionPagePrefix); ok && accounting.IsMappingID(rest) {
		return SessionPath(url.PathEscape(rest))
	}
	return "/"
}
