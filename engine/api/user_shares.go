package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/shares"
)

func shareOf(s shares.Share) wire.Share {
	return wire.Share{User: s.User, Mode: string(s.Mode), Created: s.Created.UTC(), Expires: utc(s.Expires)}
}

// shareable returns the caller's session of the path's url id, if its
// grant allows viewing.
func (u *userAPI) shareable(r *http.Request, id auth.Identity) (routes.Route, error) {
	rt, err := u.own(r, id)
	if err != nil {
		return routes.Route{}, err
	}
	g, err := u.d.Accounts.GrantByID(r.Context(), rt.MappingID)
	if err != nil {
		return routes.Route{}, err
	}
	if err := shares.Allowed(g.Policy); err != nil {
		return routes.Route{}, err
	}
	return rt, nil
}

func (u *userAPI) listShares(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	rt, err := u.shareable(r, id)
	if err != nil {
		return err
	}
	out := []wire.Share{}
	for _, s := range u.d.Shares.List(rt.URLID) {
		out = append(out, shareOf(s))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (u *userAPI) share(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	var req wire.ShareRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	sh, err := Share(r.Context(), ShareDeps{u.d.Accounts, u.d.Sessions, u.d.Shares, u.d.Audit, u.d.Now}, id.User, r.PathValue("url_id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, shareOf(sh))
	return nil
}

// ShareDeps are what sharing a session needs.
type ShareDeps struct {
	Accounts accounting.Store
	Sessions Sessions
	Shares   *shares.Shares
	Audit    *audit.Log
	Now      func() time.Time
}

// Share lets req.User into owner's session urlID, after checking that the
// session is the owner's, that its grant allows viewing, and that the user
// is somebody else who may be shared with (shares.Recipient: one answer for
// every refusal, so that no user name is revealed). The portal's form and the API both use it.
func Share(ctx context.Context, d ShareDeps, owner, urlID string, req wire.ShareRequest) (shares.Share, error) {
	rt, ok := d.Sessions.Get(urlID)
	if !ok || rt.User != owner {
		return shares.Share{}, fmt.Errorf("session %s: %w", urlID, session.ErrNotFound)
	}
	g, err := d.Accounts.GrantByID(ctx, rt.MappingID)
	if err != nil {
		return shares.Share{}, err
	}
	if err := shares.Allowed(g.Policy); err != nil {
		return shares.Share{}, err
	}
	if err := required("user", req.User, "mode", req.Mode); err != nil {
		return shares.Share{}, err
	}
	if req.Mode != wire.ShareView && req.Mode != wire.ShareControl {
		return shares.Share{}, &accounting.InvalidError{What: "mode", Value: req.Mode, Rule: "want view or control"}
	}
	if req.User == owner {
		return shares.Share{}, &accounting.InvalidError{What: "user", Value: req.User, Rule: "it is the session's owner"}
	}
	if err := shares.Recipient(ctx, d.Accounts, req.User); err != nil {
		return shares.Share{}, err
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	if req.Expires != nil && !req.Expires.After(now()) {
		return shares.Share{}, &accounting.InvalidError{What: "expires", Value: req.Expires.String(), Rule: "it is not in the future"}
	}
	sh, err := d.Shares.Put(ctx, shares.Share{URLID: rt.URLID, User: req.User, Mode: shares.Mode(req.Mode), Expires: req.Expires})
	d.Audit.Record(ctx, audit.ShareCreate, rt.URLID, fmt.Sprintf("with %s, %s", req.User, req.Mode), err)
	return sh, err
}

func (u *userAPI) unshare(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	rt, err := u.own(r, id)
	if err != nil {
		return err
	}
	user := r.PathValue("user")
	err = u.d.Shares.Remove(r.Context(), rt.URLID, user)
	if !errors.Is(err, shares.ErrNotFound) {
		u.d.Audit.Record(r.Context(), audit.ShareRemove, rt.URLID, "with "+user, err)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (u *userAPI) shared(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	type sharedRoute struct {
		share shares.Share
		route routes.Route
	}
	var list []sharedRoute
	var refs []string
	for _, s := range u.d.Shares.With(id.User) {
		if rt, ok := u.d.Sessions.Get(s.URLID); ok {
			list = append(list, sharedRoute{s, rt})
			refs = append(refs, rt.Image)
		}
	}
	images, _ := u.describe(r, refs)
	out := []wire.SharedSession{}
	for _, x := range list {
		s, rt, img := x.share, x.route, images[x.route.Image]
		ss := wire.SharedSession{
			URLID: rt.URLID, Owner: rt.User, Image: rt.Image, UIName: img.UIName, Type: img.Type,
			Mode: string(s.Mode), Expires: utc(s.Expires), URLPath: rt.URLPath, URL: baseURL(r) + shares.OpenPath(rt.URLPath, img.Type, s.Mode),
		}
		out = append(out, ss)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
