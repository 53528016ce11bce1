package appliance

import (
	"errors"
	"net"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/websockets"
)

// newSockets is the registry of the sessions' WebSockets, with the caps
// of cfg, the total lowered to what the descriptor limit carries.
func newSockets(cfg config.WebSockets, log zerolog.Logger) *websockets.Registry {
	limits := websockets.Limits{PerUser: cfg.PerUser, Total: cfg.Total}
	nofile := websockets.DescriptorLimit()
	if fit := websockets.FitTotal(limits.Total, nofile); fit < limits.Total {
		log.Warn().Int("websockets.total", limits.Total).Int("lowered_to", fit).Uint64("nofile", nofile).
			Msg("the descriptor limit (ulimit -n) cannot carry websockets.total: each WebSocket holds two descriptors; raise LimitNOFILE or lower websockets.total")
		limits.Total = fit
		limits.PerUser = min(limits.PerUser, fit)
	}
	return websockets.New(limits)
}

// socketKey is who opens a WebSocket to route, with what.
func socketKey(id auth.Identity, route routes.Route, kind websockets.Kind) websockets.Key {
	k := websockets.Key{User: id.User, URLID: route.URLID, Kind: kind}
	switch {
	case id.Via == auth.ViaToken:
		k.Credential = websockets.TokenCredential(id.Token)
	case id.Login.IDHash != "":
		k.Credential = websockets.LoginCredential(id.Login.IDHash)
	}
	return k
}

// OpenWebSocket implements caddymodule.Backend: the owner's WebSocket is
// registered (closed when its login or token, or its user's access, ends)
// or refused over the caps.
func (b backend) OpenWebSocket(w http.ResponseWriter, r *http.Request, id auth.Identity, route routes.Route) (attach func(net.Conn), done func(), ok bool) {
	t := &websockets.Tunnel{Raw: !websockets.IsHandshake(r)}
	done, err := b.open(r, id, socketKey(id, route, websockets.Owner), t.Close)
	if err != nil {
		b.refuseSocket(w, r, id, route, err)
		return nil, nil, false
	}
	return t.Attach, done, true
}

// errSignedOut is open's refusal of a caller signed out meanwhile.
var errSignedOut = errors.New("signed out while the WebSocket was being opened")

// open registers a WebSocket of id, then checks that id still stands: a
// sign-out (token deletion, disabling) between the check of the request
// and the registration found nothing to close, and is seen here instead.
func (b backend) open(r *http.Request, id auth.Identity, k websockets.Key, close func(websockets.Reason)) (func(), error) {
	done, err := b.a.sockets.Open(k, close)
	if err != nil {
		return nil, err
	}
	if !b.a.resolver.Stands(r.Context(), id) {
		done()
		return nil, errSignedOut
	}
	return done, nil
}

// refuseSocket answers a WebSocket refused (over a cap, signed out,
// shutting down), with the reason.
func (b backend) refuseSocket(w http.ResponseWriter, r *http.Request, id auth.Identity, route routes.Route, err error) {
	why := websockets.Reason{Code: 1011, Text: "the proxy could not open the WebSocket"}
	var le *websockets.LimitError
	switch {
	case errors.As(err, &le):
		why = le.Reason()
	case errors.Is(err, errSignedOut):
		why = websockets.SignedOut
	case errors.Is(err, websockets.ErrClosed):
		why = websockets.ShuttingDown
	}
	// Debug: a client retrying in a loop would flood the log; /metrics counts them.
	b.a.log.Debug().Err(err).Str("user", id.User).Str("url_id", route.URLID).Msg("WebSocket refused")
	websockets.Refuse(w, r, why)
}
