package api

import (
	"net/http"
	"sort"
	"strings"

	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/session"
)

// The administrators' legacy resources, in simphony-remote 2.x's shapes
// (its remoteappmanager/webapi/admin): an application is identified by its
// image, a container by its url id.

type legacyAdminApplication struct {
	ImageName string `json:"image_name"`
}

func (u *userAPI) legacyAdminApplications(w http.ResponseWriter, r *http.Request, _ auth.Identity) error {
	apps, err := u.d.AdminService.Applications(r.Context())
	if err != nil {
		return err
	}
	out := newLegacyItems()
	for _, a := range apps {
		out.add(a.Image, legacyAdminApplication{ImageName: a.Image})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (u *userAPI) legacyCreateApplication(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	var in legacyAdminApplication
	if err := decodeBody(w, r, &in); err != nil {
		return &legacyError{status: http.StatusBadRequest, Type: "BadRepresentation", Message: err.Error()}
	}
	if strings.TrimSpace(in.ImageName) == "" {
		return &legacyError{status: http.StatusBadRequest, Type: "BadRepresentation", Message: "missing image_name"}
	}
	// As the original, without asking Docker whether it has the image.
	app, err := u.d.AdminService.CreateApplication(r.Context(), admin.NewApplication{Image: in.ImageName})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/user/"+id.User+"/api/v1/applications/"+app.Image+"/")
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (u *userAPI) legacyRemoveApplication(w http.ResponseWriter, r *http.Request, _ auth.Identity) error {
	image := strings.TrimSuffix(r.PathValue("image"), "/")
	if err := u.d.AdminService.RemoveApplication(r.Context(), image); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// legacyAdminContainer is a container as the original's administrators saw
// it; its first fields are those of legacyContainer.
type legacyAdminContainer struct {
	legacyContainer
	DockerID string `json:"docker_id"`
	ImageID  string `json:"image_id"`
	User     string `json:"user"`
	Realm    string `json:"realm"`
}

func (u *userAPI) legacyAdminContainers(w http.ResponseWriter, r *http.Request, _ auth.Identity) error {
	list := u.d.Sessions.Routes().List()
	sort.Slice(list, func(i, j int) bool { return list[i].URLID < list[j].URLID })
	refs := make([]string, len(list))
	for i, rt := range list {
		refs[i] = rt.Image
	}
	images := session.Describe(r.Context(), u.d.Image, refs).Images
	out := newLegacyItems()
	for _, rt := range list {
		out.add(rt.URLID, legacyAdminContainer{
			legacyContainer: legacyContainerOf(rt),
			DockerID:        rt.ContainerID, ImageID: images[rt.Image].ID, User: rt.User, Realm: u.d.Realm,
		})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// legacyStopAny stops any session for an administrator.
func (u *userAPI) legacyStopAny(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	urlID := r.PathValue("id")
	if rt, ok := u.d.Sessions.Get(urlID); ok && rt.User == id.User {
		return u.legacyStop(w, r, id)
	}
	return legacyStopped(w, u.d.AdminService.StopSession(r.Context(), urlID))
}
