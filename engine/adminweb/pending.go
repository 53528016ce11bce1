package adminweb

import (
	"context"
	"net/http"
	"time"
)

// imageLabels is what an image's labels say about it.
type imageLabels struct {
	Name, Description, Type string
	Icon                    string
	Env                     []string
	Missing                 bool
}

// sessionView is a running session.
type sessionView struct {
	URLID, User, Image    string
	Started, LastActivity time.Time
	Viewers               []string
}

func (h *Handler) labels(r *http.Request) map[string]imageLabels { return nil }

func (h *Handler) sessionsOf(r *http.Request, user string) ([]sessionView, error) { return nil, nil }

func (h *Handler) info(ctx context.Context, p *page) {}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	p := h.newPage(w, r, "dashboard", "Administration")
	h.render(w, http.StatusOK, "dashboard", p)
}

func (h *Handler) pendingRoutes() {}
