package api

import (
	"net/http"

	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
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

func (u *userAPI) applications(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	apps, err := u.d.Portal.Applications(r.Context(), id.User)
	if err != nil {
		return err
	}
	out := make([]wire.UserApplication, 0, len(apps.List))
	for _, a := range apps.List {
		app := wire.UserApplication{MappingID: a.Grant.MappingID, Image: wireImage(a.Grant.Image, a.Image, a.Available),
			Policy: wire.PolicyOf(a.Grant.Policy), RunningKnown: apps.Answering}
		if a.Running != nil {
			c := containerOf(r, *a.Running)
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
	rt, err := u.d.Portal.Start(r.Context(), id.User, req.MappingID, req.Configurables)
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/containers/"+rt.URLID)
	if rt.Existing {
		writeJSON(w, http.StatusOK, containerOf(r, rt.Route))
		return nil
	}
	writeJSON(w, http.StatusCreated, containerOf(r, rt.Route))
	return nil
}

func (u *userAPI) listContainers(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	list := u.d.Portal.Sessions(id.User)
	out := make([]wire.Container, 0, len(list))
	for _, rt := range list {
		out = append(out, containerOf(r, rt))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (u *userAPI) getContainer(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	rt, err := u.d.Portal.Session(id.User, r.PathValue("url_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, containerOf(r, rt))
	return nil
}

func (u *userAPI) stopContainer(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	if err := u.d.Portal.Stop(r.Context(), id.User, r.PathValue("url_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
