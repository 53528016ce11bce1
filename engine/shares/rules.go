package shares

import (
	"context"
	"errors"
	"fmt"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/protocol"
)

// ErrNotAllowed is returned for sharing a session whose grant's policy does
// not allow it. Its text is what users read, in the API and on the portal.
var ErrNotAllowed = errors.New("sharing is not allowed by this application's policy")

// ErrRecipient is every refusal of the user a session would be shared
// with: no such user, a disabled account, a name that cannot exist. One
// answer, which names nobody, so that sharing does not tell which user
// names exist. Its text is what users read, in the API and on the portal.
var ErrRecipient = errors.New("there is no user of that name who can be shared with")

// Users is what Recipient reads.
type Users interface {
	User(ctx context.Context, name string) (accounting.User, error)
}

// Recipient checks that a session may be shared with the user name: an
// account that exists and may sign in. Every refusal is ErrRecipient
// itself; other errors are the store's.
func Recipient(ctx context.Context, users Users, name string) error {
	if accounting.ValidateUserName(name) != nil {
		return ErrRecipient
	}
	u, err := users.User(ctx, name)
	switch {
	case errors.Is(err, accounting.ErrNotFound):
		return ErrRecipient
	case err != nil:
		return fmt.Errorf("looking up user %s: %w", name, err)
	case u.Disabled:
		return ErrRecipient
	}
	return nil
}

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
