package portal

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/shares"
)

// ShareRequest asks to let User into a session: Mode is "view" or
// "control"; Expires, when set, ends the share.
type ShareRequest struct {
	User, Mode string
	Expires    *time.Time
}

// Shared is a running session somebody shares with the user.
type Shared struct {
	Share shares.Share
	Route routes.Route
	// Image describes the session's image when Available.
	Image     protocol.Image
	Available bool
	// OpenPath is where the user opens it (shares.OpenPath).
	OpenPath string
}

// shareable is owner's session urlID, if its grant allows viewing.
func (s *Service) shareable(ctx context.Context, owner, urlID string) (routes.Route, error) {
	rt, err := s.Session(owner, urlID)
	if err != nil {
		return routes.Route{}, err
	}
	g, err := s.d.Accounts.GrantByID(ctx, rt.MappingID)
	if err != nil {
		return routes.Route{}, err
	}
	if err := shares.Allowed(g.Policy); err != nil {
		return routes.Route{}, err
	}
	return rt, nil
}

// Shares are the shares of owner's session urlID, when its grant allows
// sharing (else shares.ErrNotAllowed).
func (s *Service) Shares(ctx context.Context, owner, urlID string) ([]shares.Share, error) {
	rt, err := s.shareable(ctx, owner, urlID)
	if err != nil {
		return nil, err
	}
	return s.d.Shares.List(rt.URLID), nil
}

// shareDetail is the audit detail of a share; recipientOf reads it back.
func shareDetail(user, mode string) string { return "with " + user + ", " + mode }

// recipientOf is the user of a share's audit detail.
func recipientOf(detail string) (string, bool) {
	rest, ok := strings.CutPrefix(detail, "with ")
	if !ok {
		return "", false
	}
	user, _, ok := strings.Cut(rest, ", ")
	return user, ok && user != ""
}

// Share lets req.User into owner's session urlID, after checking that the
// session is the owner's, that its grant allows viewing, and that the user
// is somebody else who may be shared with (shares.Recipient: one answer
// for every refusal, so that no user name is revealed). req.User is taken
// as sign-in takes a typed name (auth.NormalizeName). A share with the
// same user replaces theirs.
func (s *Service) Share(ctx context.Context, owner, urlID string, req ShareRequest) (shares.Share, error) {
	ctx = as(ctx, owner)
	rt, err := s.shareable(ctx, owner, urlID)
	if err != nil {
		return shares.Share{}, err
	}
	req.User = auth.NormalizeName(req.User) // as typed, the way sign-in takes it
	for _, f := range []struct{ name, value string }{{"user", req.User}, {"mode", req.Mode}} {
		if f.value == "" {
			return shares.Share{}, &accounting.InvalidError{What: "field", Value: f.name, Rule: "it is required"}
		}
	}
	if mode := shares.Mode(req.Mode); mode != shares.View && mode != shares.Control {
		return shares.Share{}, &accounting.InvalidError{What: "mode", Value: req.Mode, Rule: "want view or control"}
	}
	if req.User == owner {
		return shares.Share{}, &accounting.InvalidError{What: "user", Value: req.User, Rule: "it is the session's owner"}
	}
	// Every rule of the request before the recipient's: a refusal that
	// came after it would tell that the user exists.
	if req.Expires != nil && !req.Expires.After(s.d.Now()) {
		return shares.Share{}, &accounting.InvalidError{What: "expires", Value: req.Expires.String(), Rule: "it is not in the future"}
	}
	if err := shares.Recipient(ctx, s.d.Accounts, req.User); err != nil {
		return shares.Share{}, err
	}
	sh, err := s.d.Shares.Put(ctx, shares.Share{URLID: rt.URLID, User: req.User, Mode: shares.Mode(req.Mode), Expires: req.Expires})
	s.d.Audit.Record(ctx, audit.ShareCreate, rt.URLID, shareDetail(req.User, req.Mode), err)
	return sh, err
}

// Unshare ends the share of owner's session urlID with user; a session
// that is not owner's, or no such share, is shares.ErrNotFound.
func (s *Service) Unshare(ctx context.Context, owner, urlID, user string) error {
	ctx = as(ctx, owner)
	user = auth.NormalizeName(user) // as Share takes it
	if _, err := s.Session(owner, urlID); err != nil {
		return fmt.Errorf("share of session %s with %s: %w", urlID, user, shares.ErrNotFound)
	}
	err := s.d.Shares.Remove(ctx, urlID, user)
	s.record(ctx, shares.ErrNotFound, audit.ShareRemove, urlID, "with "+user, err)
	return err
}

// sharedRoutes are the shares with user of sessions that still run.
func (s *Service) sharedRoutes(user string) []Shared {
	var out []Shared
	for _, sh := range s.d.Shares.With(user) {
		if rt, ok := s.d.Sessions.Get(sh.URLID); ok {
			out = append(out, Shared{Share: sh, Route: rt})
		}
	}
	return out
}

// describeShared completes shared sessions with what d says of their
// images.
func describeShared(list []Shared, d session.Described) []Shared {
	for i := range list {
		x := &list[i]
		x.Image, x.Available = d.Images[x.Route.Image]
		x.OpenPath = shares.OpenPath(x.Route.URLPath, x.Image.Type, x.Share.Mode)
	}
	return list
}

// SharedWithMe are the running sessions shared with user, with their
// images (looked up within session.ListingTimeout in all).
func (s *Service) SharedWithMe(ctx context.Context, user string) ([]Shared, error) {
	list := s.sharedRoutes(user)
	refs := make([]string, len(list))
	for i, x := range list {
		refs[i] = x.Route.Image
	}
	return describeShared(list, session.Describe(ctx, s.d.Image, refs)), nil
}

// Recipients limits: the names returned, and the audit entries read.
const (
	MaxRecipients  = 50
	recipientsScan = 10_000
)

// Recipients are the users owner shared a session with before, newest
// first, each once, at most MaxRecipients: what a share dialog may offer
// to complete. They come from owner's own successful shares in the audit
// log (its newest 10,000 entries), so they name nobody owner did not name.
func (s *Service) Recipients(ctx context.Context, owner string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	var before uint64
	for read := 0; read < recipientsScan; {
		entries, next, err := s.d.Audit.Entries(ctx, before, audit.MaxLimit)
		if err != nil {
			return nil, fmt.Errorf("listing whom %s shared with: %w", owner, err)
		}
		for _, e := range entries {
			if e.Action != audit.ShareCreate || e.Actor != owner || e.Result != audit.ResultOK {
				continue
			}
			if user, ok := recipientOf(e.Detail); ok && !seen[user] {
				seen[user] = true
				out = append(out, user)
				if len(out) == MaxRecipients {
					return out, nil
				}
			}
		}
		read += len(entries)
		if next == 0 || len(entries) == 0 {
			break
		}
		before = next
	}
	return out, nil
}
