package adminweb

import (
	"context"
	"slices"
)

// info puts what every page shows about the appliance into p: the
// read-only banner, the service's warnings.
func (h *Handler) info(ctx context.Context, p *page) {
	in, err := h.d.Service.Info(ctx)
	if err != nil {
		p.Banners = append(p.Banners, "The appliance's state is unknown: "+sentenceOf(err))
		return
	}
	p.ReadOnly = in.ReadOnly
	for _, w := range in.Warnings {
		if w != p.Warning && !slices.Contains(p.Banners, w) {
			p.Banners = append(p.Banners, w)
		}
	}
}
