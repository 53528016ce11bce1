package adminweb

import (
	"net/http"
	"time"

	"github.com/simphony/simphony-remote/engine/admin"
)

// sessionView is a running session on the pages.
type sessionView struct {
	URLID, User, Image    string
	Started, LastActivity time.Time
	Viewers               []string
}

func viewOf(s admin.Session) sessionView {
	v := sessionView{URLID: s.URLID, User: s.User, Image: s.Image, Started: s.Started, LastActivity: s.LastActive}
	for _, w := range s.Viewers {
		name := w.User
		if w.Mode == "control" {
			name += " (control)"
		}
		v.Viewers = append(v.Viewers, name)
	}
	return v
}

// sessionsOf lists the running sessions of user, or everybody's for "".
func (h *Handler) sessionsOf(r *http.Request, user string) ([]sessionView, error) {
	all, err := h.d.Service.Sessions(r.Context())
	if err != nil {
		return nil, err
	}
	var out []sessionView
	for _, s := range all {
		if user == "" || s.User == user {
			out = append(out, viewOf(s))
		}
	}
	return out, nil
}

func (h *Handler) sessions(w http.ResponseWriter, r *http.Request) {
	p := h.newPage(w, r, "sessions", "Sessions")
	ss, err := h.sessionsOf(r, "")
	if err != nil {
		h.fail(w, r, "Sessions unavailable", err)
		return
	}
	p.Refresh = 10
	p.Data = ss
	h.render(w, http.StatusOK, "sessions", p)
}

// stopSessionPage asks to confirm stopping a session.
func (h *Handler) stopSessionPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("url_id")
	ss, err := h.sessionsOf(r, "")
	if err != nil {
		h.fail(w, r, "Sessions unavailable", err)
		return
	}
	for _, s := range ss {
		if s.URLID == id {
			p := h.newPage(w, r, "sessions", "Stop a session")
			p.Data = s
			h.render(w, http.StatusOK, "session_stop", p)
			return
		}
	}
	h.d.Refuse(w, r, http.StatusNotFound, "that session does not run (any more)")
}

func (h *Handler) stopSession(w http.ResponseWriter, r *http.Request) {
	if !h.checkPost(w, r) {
		return
	}
	id := r.PostFormValue("url_id")
	err := h.d.Service.StopSession(r.Context(), id)
	h.done(w, r, backOf(r, Prefix+"sessions"), "Stopped the session.", err)
}
