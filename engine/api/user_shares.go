package api

import (
	"github.com/simphony/simphony-remote/engine/portal"
	"net/http"

	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/shares"
)

func shareOf(s shares.Share) wire.Share {
	return wire.Share{User: s.User, Mode: string(s.Mode), Created: s.Created.UTC(), Expires: utc(s.Expires)}
}

func (u *userAPI) listShares(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	list, err := u.d.Portal.Shares(r.Context(), id.User, r.PathValue("url_id"))
	if err != nil {
		return err
	}
	out := []wire.Share{}
	for _, s := range list {
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
	sh, err := u.d.Portal.Share(r.Context(), id.User, r.PathValue("url_id"), portal.ShareRequest{User: req.User, Mode: req.Mode, Expires: req.Expires})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, shareOf(sh))
	return nil
}

func (u *userAPI) unshare(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	if err := u.d.Portal.Unshare(r.Context(), id.User, r.PathValue("url_id"), r.PathValue("user")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (u *userAPI) shared(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	list, err := u.d.Portal.SharedWithMe(r.Context(), id.User)
	if err != nil {
		return err
	}
	out := []wire.SharedSession{}
	for _, x := range list {
		s, rt := x.Share, x.Route
		ss := wire.SharedSession{
			URLID: rt.URLID, Owner: rt.User, Image: rt.Image, Mode: string(s.Mode), Expires: utc(s.Expires),
			URLPath: rt.URLPath, URL: baseURL(r) + x.OpenPath,
		}
		if x.Available {
			ss.UIName, ss.Type = x.Image.UIName, x.Image.Type
		}
		out = append(out, ss)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
