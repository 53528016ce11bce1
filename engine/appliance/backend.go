package appliance

import (
	"context"
	"net/http"

	"github.com/simphony/simphony-remote/caddymodule"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/shares"
)

// backend is the appliance as the Caddy module sees it.
type backend struct{ a *Appliance }

func (b backend) Identify(r *http.Request) (auth.Identity, bool) { return b.a.resolver.Identify(r) }

func (b backend) Route(ctx context.Context, urlID string) (routes.Route, bool) {
	return b.a.manager.Repair(ctx, urlID)
}

// Access lets the owner in, and the users it is shared with. (Administrators
// may stop any session, but not enter it.)
func (b backend) Access(id auth.Identity, r routes.Route) caddymodule.Access {
	if id.User == r.User {
		return caddymodule.OwnerAccess
	}
	if sh, ok := b.a.shares.Lookup(r.URLID, id.User); ok {
		if sh.Mode == shares.Control {
			return caddymodule.ControlAccess
		}
		return caddymodule.ViewAccess
	}
	return caddymodule.NoAccess
}

func (b backend) Unreachable(w http.ResponseWriter, r *http.Request, route routes.Route) {
	gone := b.a.manager.Gone(r.Context(), route)
	b.a.web.Unreachable(w, r, gone)
}

func (b backend) Refuse(w http.ResponseWriter, r *http.Request, status int, message string) {
	b.a.web.Refuse(w, r, status, message)
}

func (b backend) Ticket(id auth.Identity, urlID string) (string, error) {
	return b.a.origins.Ticket(id, urlID)
}

func (b backend) Enter(ctx context.Context, ticket, urlID string) (*http.Cookie, bool) {
	c, _, ok := b.a.origins.Redeem(ctx, ticket, urlID)
	return c, ok
}

func (b backend) IdentifyOrigin(r *http.Request, urlID string) (auth.Identity, bool) {
	return b.a.origins.Identify(r, urlID)
}

func (b backend) Observe(status int) { b.a.metrics.observeProxy(status) }

func (b backend) ServeHTTP(w http.ResponseWriter, r *http.Request) { b.a.pages.ServeHTTP(w, r) }

var _ caddymodule.Backend = backend{}
