package adminweb

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/docker/go-units"

	"github.com/simphony/simphony-remote/engine/problem"
	"github.com/simphony/simphony-remote/frontend"
)

func (h *Handler) routes() {
	m := h.mux
	m.HandleFunc("GET /admin/{$}", h.dashboard)
	m.HandleFunc("GET /admin/users", h.users)
	m.HandleFunc("POST /admin/users", h.createUser)
	m.HandleFunc("GET /admin/users/{name}", h.user)
	m.HandleFunc("POST /admin/users/{name}", h.updateUser)
	m.HandleFunc("GET /admin/users/{name}/remove", h.removeUserPage)
	m.HandleFunc("POST /admin/users/{name}/remove", h.removeUser)
	m.HandleFunc("GET /admin/applications", h.applications)
	m.HandleFunc("POST /admin/applications", h.createApplication)
	m.HandleFunc("GET /admin/applications/view", h.application)
	m.HandleFunc("POST /admin/applications/limits", h.setLimits)
	m.HandleFunc("POST /admin/applications/root", h.setRoot)
	m.HandleFunc("GET /admin/applications/remove", h.removeApplicationPage)
	m.HandleFunc("POST /admin/applications/remove", h.removeApplication)
	m.HandleFunc("GET /admin/grants", h.grants)
	m.HandleFunc("POST /admin/grants", h.grant)
	m.HandleFunc("POST /admin/grants/revoke", h.revoke)
	m.HandleFunc("GET /admin/audit", h.auditPage)
	m.HandleFunc("GET /admin/sessions", h.sessions)
	m.HandleFunc("GET /admin/sessions/stop", h.stopSessionPage)
	m.HandleFunc("POST /admin/sessions/stop", h.stopSession)
	m.HandleFunc("GET /admin/images", h.images)
	m.HandleFunc("POST /admin/images/import", h.importImages)
	m.HandleFunc("POST /admin/images/starters", h.buildStarters)
	m.HandleFunc("GET /admin/images/remove", h.removeImagePage)
	m.HandleFunc("POST /admin/images/remove", h.removeImage)
	m.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) {
		h.d.Refuse(w, r, http.StatusNotFound, "there is no admin page at this address")
	})
}

// sentenceOf is what a page says about err.
func sentenceOf(err error) string { return problem.Sentence(err) }

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"field":   func(p page, name string) string { return p.Fields[name] },
	"value":   func(p page, name string) string { return p.Form.Get(name) },
	"checked": func(p page, name string) bool { return p.Form.Get(name) == "on" },
	"join":    strings.Join,
	"static":  frontend.Static,
	"bytes":   func(n int64) string { return units.BytesSize(float64(n)) },
	// dict passes several values to a template: dict "Page" $p "User" u.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, errors.New("dict wants pairs")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
}
