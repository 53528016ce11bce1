package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
)

func (u *userAPI) me(w http.ResponseWriter, _ *http.Request, id auth.Identity) error {
	me := wire.Me{Name: id.User, Admin: id.Admin, Auth: wire.AuthToken}
	if id.Via == auth.ViaCookie {
		me.Auth, me.CSRFToken = wire.AuthCookie, id.Login.CSRF
	}
	writeJSON(w, http.StatusOK, me)
	return nil
}

// containerOf is a running session in the API's form.
func containerOf(r *http.Request, rt routes.Route) wire.Container {
	return wire.Container{
		URLID: rt.URLID, MappingID: rt.MappingID, User: rt.User, Image: rt.Image,
		URLPath: rt.URLPath, URL: baseURL(r) + rt.URLPath,
		Started: rt.Started.UTC(), LastActive: rt.LastActive().UTC(),
	}
}

// describe describes the images of a listing, within
// session.ListingTimeout; false when the container runtime did not answer.
func (u *userAPI) describe(r *http.Request, refs []string) (map[string]wire.Image, bool) {
	d := session.Describe(r.Context(), u.d.Image, refs)
	out := make(map[string]wire.Image, len(refs))
	for _, ref := range refs {
		img, ok := d.Images[ref]
		out[ref] = wireImage(ref, img, ok)
	}
	return out, d.Answering
}

func wireImage(ref string, img protocol.Image, available bool) wire.Image {
	if !available {
		return wire.Image{Name: ref, Configurables: []string{}}
	}
	confs := img.Configurables()
	if confs == nil {
		confs = []string{}
	}
	return wire.Image{
		Name: ref, UIName: img.UIName, Icon128: img.Icon128, Description: img.Description,
		Type: img.Type, Configurables: confs, Available: true,
	}
}

// grants are the caller's grants; a user the store does not know has none.
func (u *userAPI) grants(r *http.Request, user string) ([]accounting.Grant, error) {
	gs, err := u.d.Accounts.Grants(r.Context(), user)
	if errors.Is(err, accounting.ErrNotFound) {
		return nil, nil
	}
	return gs, err
}

func (u *userAPI) applications(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	gs, err := u.grants(r, id.User)
	if err != nil {
		return err
	}
	running := map[string]routes.Route{}
	for _, rt := range u.d.Sessions.List(id.User) {
		running[rt.MappingID] = rt
	}
	refs := make([]string, len(gs))
	for i, g := range gs {
		refs[i] = g.Image
	}
	images, answering := u.describe(r, refs)
	out := make([]wire.UserApplication, 0, len(gs))
	for _, g := range gs {
		app := wire.UserApplication{MappingID: g.MappingID, Image: images[g.Image], Policy: wire.PolicyOf(g.Policy), RunningKnown: answering}
		if rt, ok := running[g.MappingID]; ok {
			c := containerOf(r, rt)
			app.Container = &c
		}
		out = append(out, app)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (u *userAPI) startContainer(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	var req wire.StartRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if err := required("mapping_id", req.MappingID); err != nil {
		return err
	}
	rt, err := u.d.Sessions.Start(r.Context(), id.User, req.MappingID, req.Configurables)
	detail := fmt.Sprintf("mapping %s", req.MappingID)
	if err != nil {
		u.d.Audit.Record(r.Context(), audit.SessionStart, req.MappingID, detail, err)
		if errors.Is(err, session.ErrNotFound) {
			// A mapping id that is not the caller's is a bad request here.
			return &accounting.InvalidError{What: "mapping_id", Value: req.MappingID, Rule: "it is not one of your applications (see GET /api/v1/applications)"}
		}
		return err
	}
	w.Header().Set("Location", Prefix+"/containers/"+rt.URLID)
	if rt.Existing {
		// Starting a grant that runs returns its session: only a stop
		// ends a session.
		u.d.Audit.Record(r.Context(), audit.SessionStart, rt.URLID, fmt.Sprintf("%s, image %s: already running", detail, rt.Image), nil)
		writeJSON(w, http.StatusOK, containerOf(r, rt.Route))
		return nil
	}
	u.d.Audit.Record(r.Context(), audit.SessionStart, rt.URLID, fmt.Sprintf("%s, image %s", detail, rt.Image), nil)
	writeJSON(w, http.StatusCreated, containerOf(r, rt.Route))
	return nil
}

func (u *userAPI) listContainers(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	list := u.d.Sessions.List(id.User)
	out := make([]wire.Container, 0, len(list))
	for _, rt := range list {
		out = append(out, containerOf(r, rt))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// own returns the caller's session of the path's url id; anybody else's is
// not found.
func (u *userAPI) own(r *http.Request, id auth.Identity) (routes.Route, error) {
	urlID := r.PathValue("url_id")
	rt, ok := u.d.Sessions.Get(urlID)
	if !ok || rt.User != id.User {
		return routes.Route{}, fmt.Errorf("session %s: %w", urlID, session.ErrNotFound)
	}
	return rt, nil
}

func (u *userAPI) getContainer(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	rt, err := u.own(r, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, containerOf(r, rt))
	return nil
}

func (u *userAPI) stopContainer(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	urlID := r.PathValue("url_id")
	err := u.d.Sessions.Stop(r.Context(), id.User, urlID)
	if !errors.Is(err, session.ErrNotFound) {
		u.d.Audit.Record(r.Context(), audit.SessionStop, urlID, "", err)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
