package appliance

import (
	"net/http"

	"github.com/simphony/simphony-remote/caddymodule"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/rfb"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/wsrelay"
)

// relays are the live WebSocket relays of shared users, by url id and user,
// so that revoking a share (or its expiry) closes them.
type relays struct {
	reg wsrelay.Registry
}

func newRelays() *relays { return &relays{} }

func relayKey(urlID, user string) string { return urlID + "/" + user }

// close ends the relays of user to the session urlID.
func (r *relays) close(urlID, user string) { r.reg.Close(relayKey(urlID, user)) }

// viewerMessageLimit bounds a viewer's messages: noVNC's are tiny.
const viewerMessageLimit = 1 << 20

// dropAll is a viewer's filter for applications whose protocol the proxy
// does not know: nothing the viewer sends reaches them.
var dropAll = wsrelay.FilterFunc(func([]byte) ([]byte, error) { return nil, nil })

// Relay implements caddymodule.Backend: a shared user's WebSocket goes
// through the relay, registered so that revocation closes it; a viewer's is
// filtered (RFB input dropped for desktops, everything for other
// applications).
func (b backend) Relay(w http.ResponseWriter, r *http.Request, id auth.Identity, route routes.Route, access caddymodule.Access) {
	opts := wsrelay.Options{
		Header:    http.Header{"X-Remote-User": {id.User}, protocol.HeaderSessionKey: {route.SessionKey}},
		Registry:  &b.a.relays.reg,
		Key:       relayKey(route.URLID, id.User),
		Authorize: func() bool { return b.Access(id, route) == access },
		OnUpstreamError: func(w http.ResponseWriter, r *http.Request, _ *wsrelay.UpstreamError) {
			b.Unreachable(w, r, route)
		},
	}
	if access == caddymodule.ViewAccess {
		opts.MessageLimit = viewerMessageLimit
		opts.Filter = dropAll
		if img, err := b.a.runtime.Image(r.Context(), route.Image); err == nil && img.Type == protocol.TypeVNC {
			opts.Filter = rfb.NewViewOnly()
		}
	}
	err := wsrelay.Serve(r.Context(), w, r, route.Upstream, opts)
	b.a.log.Debug().Err(err).Str("user", id.User).Str("url_id", route.URLID).Msg("shared WebSocket ended")
}
