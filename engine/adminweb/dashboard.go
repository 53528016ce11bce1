package adminweb

import (
	"html/template"
	"net/http"
	"sort"

	"github.com/simphony/simphony-remote/engine/admin"
)

type dashboardData struct {
	Stats    admin.Stats
	PerApp   []appCount
	Running  template.HTML
	Starts   template.HTML
	Starters admin.StartersBuild
}

type appCount struct {
	Image string
	N     int
}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	p := h.newPage(w, r, "dashboard", "Administration")
	st, err := h.d.Service.Stats(r.Context())
	if err != nil {
		h.fail(w, r, "Statistics unavailable", err)
		return
	}
	d := dashboardData{Stats: st, Running: runningChart(st), Starts: startChart(st)}
	for img, n := range st.PerApplication {
		d.PerApp = append(d.PerApp, appCount{img, n})
	}
	sort.Slice(d.PerApp, func(i, j int) bool {
		if d.PerApp[i].N != d.PerApp[j].N {
			return d.PerApp[i].N > d.PerApp[j].N
		}
		return d.PerApp[i].Image < d.PerApp[j].Image
	})
	p.Refresh = 30
	p.Data = d
	h.render(w, http.StatusOK, "dashboard", p)
}
