package web

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
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
	// SameOrigin: the frame's page is of the portal's origin (path mode),
	// where the toolbar can tell whether it loaded.
	SameOrigin bool
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
	v, ok := h.sessionView(r, id, urlID)
	if !ok {
		h.Refuse(w, r, http.StatusNotFound, "no session you may use is at this address: it has ended, or it is not yours")
		return
	}
	v.SameOrigin = h.d.SessionHost == ""
	p := h.pageFor(id, v.Name)
	p.Session = v
	w.Header().Set("Content-Security-Policy", sessionPageCSP(h.d.SessionHost, r.Host))
	h.render(w, http.StatusOK, "session", p)
}

// sessionView is id's session urlID, their own or one shared with them.
func (h *Handler) sessionView(r *http.Request, id auth.Identity, urlID string) (*sessionView, bool) {
	ctx := r.Context()
	if rt, err := h.d.Portal.Session(id.User, urlID); err == nil {
		v := &sessionView{URLID: urlID, Owner: rt.User, Name: rt.Image, Owned: true, Frame: rt.URLPath,
			Poll: "/api/v1/containers/" + urlID, Started: startedText(rt)}
		if a, err := h.d.Portal.Application(ctx, id.User, rt.MappingID); err == nil {
			if a.Available && a.Image.UIName != "" {
				v.Name = a.Image.UIName
			}
			v.Desktop = a.Available && a.Image.Type == protocol.TypeVNC
			if v.Shareable = a.Grant.Policy.AllowView; v.Shareable {
				v.Share = h.shareDialog(r, id, urlID, v.Name, SessionPath(urlID), h.recipients(ctx, id.User))
			}
		}
		return v, true
	}
	shared, err := h.d.Portal.SharedWithMe(ctx, id.User)
	if err != nil {
		return nil, false
	}
	for _, x := range shared {
		if x.Route.URLID != urlID {
			continue
		}
		v := &sessionView{URLID: urlID, Owner: x.Route.User, Name: x.Route.Image, Mode: string(x.Share.Mode),
			Frame: x.OpenPath, Poll: "/api/v1/shared", Started: startedText(x.Route)}
		if x.Available && x.Image.UIName != "" {
			v.Name = x.Image.UIName
		}
		v.Desktop = x.Available && x.Image.Type == protocol.TypeVNC
		return v, true
	}
	return nil, false
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
