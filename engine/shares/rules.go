package shares

import (
	"errors"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/protocol"
)

// ErrNotAllowed is returned for sharing a session whose grant's policy does
// not allow it. Its text is what users read, in the API and on the portal.
var ErrNotAllowed = errors.New("sharing is not allowed by this application's policy")

// Allowed says whether sessions of a grant with policy p may be shared:
// nil, or ErrNotAllowed.
func Allowed(p accounting.Policy) error {
	if !p.AllowView {
		return ErrNotAllowed
	}
	return nil
}

// OpenPath is where a user whom the session at urlPath is shared with in
// mode opens it: the page its owner opens, asked to be view-only for a
// vncapp shared for viewing. The image's own entry page is used, never a
// file of a given noVNC version (noVNC 1.x redirects it to vnc.html, the
// noVNC 0.4 of simphony-remote's images has no vnc.html), and both read
// view_only there. The proxy enforces view-only whatever the page does.
func OpenPath(urlPath, imageType string, mode Mode) string {
	if imageType == protocol.TypeVNC && mode == View {
		return urlPath + "?view_only=1&resize=scale"
	}
	return urlPath
}
