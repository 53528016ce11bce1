package appliance

import (
	"context"
	"net/http"

	"github.com/coder/websocket"

	"github.com/simphony/simphony-remote/caddymodule"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/rfb"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/websockets"
	"github.com/simphony/simphony-remote/engine/wsrelay"
)

// viewerMessageLimit bounds a viewer's messages: noVNC's are tiny.
const viewerMessageLimit = 1 << 20

// dropAll is a viewer's filter for applications whose protocol the proxy
// does not know: nothing the viewer sends reaches them.
var dropAll = wsrelay.FilterFunc(func([]byte) ([]byte, error) { return nil, nil })

// Relay implements caddymodule.Backend: a shared user's WebSocket goes
// through the relay, registered so that revoking the share (or its
// expiry), signing out and the caps apply to it; a viewer's is filtered
// (RFB input dropped for desktops, everything for other applications).
func (b backend) Relay(w http.ResponseWriter, r *http.Request, id auth.Identity, route routes.Route, access caddymodule.Access) {
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	done, err := b.open(r, id, socketKey(id, route, websockets.Shared), func(why websockets.Reason) {
		cancel(wsrelay.CloseReason{Code: websocket.StatusCode(why.Code), Reason: why.Text})
	})
	if err != nil {
		b.refuseSocket(w, r, id, route, err)
		return
	}
	defer done()
	opts := wsrelay.Options{
		Header: http.Header{"X-Remote-User": {id.User}, protocol.HeaderSessionKey: {route.SessionKey}},
		// Asked once registered: a share revoked in between is closed.
		Authorize: func() bool { return b.Access(id, route) == access },
		OnUpstreamError: func(w http.ResponseWriter, r *http.Request, _ *wsrelay.UpstreamError) {
			b.Unreachable(w, r, route)
		},
		// A shared user's messages, either way, are activity on the session.
		Traffic: route.Traffic,
	}
	if access == caddymodule.ViewAccess {
		opts.MessageLimit = viewerMessageLimit
		opts.Filter = dropAll
		if img, err := b.a.runtime.Image(r.Context(), route.Image); err == nil && img.Type == protocol.TypeVNC {
			opts.Filter = rfb.NewViewOnly()
		}
	}
	err = wsrelay.Serve(ctx, w, r, route.Upstream, opts)
	b.a.log.Debug().Err(err).Str("user", id.User).Str("url_id", route.URLID).Msg("shared WebSocket ended")
}
