package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
)

// The legacy endpoints answer in simphony-remote's tornado-webapi shapes
// (its remoteappmanager/webapi resources, 1.x and 2.x), so that scripts
// written for the original keep working, with an API token (Authorization:
// Bearer or token) instead of JupyterHub's cookie. They live under
// /user/{name}/api/v1/ and only for {name} = the caller. As in 2.x, where
// administrators ran the admin resources: an administrator's containers/
// lists every session (in the admin shape) and stops any, and
// applications/ lists, creates and removes applications.

// legacyError is tornado-webapi's error body.
type legacyError struct {
	status  int
	Type    string `json:"type"`
	Message string `json:"message"`
}

func (e *legacyError) Error() string { return e.Message }

var legacyNotFound = &legacyError{status: http.StatusNotFound, Type: "NotFound", Message: "not found"}

// legacyErrorOf renders err with tornado-webapi's types, on the statuses of
// classify; nil for errors tornado-webapi has no type for.
func legacyErrorOf(err error) *legacyError {
	var le *legacyError
	if errors.As(err, &le) {
		return le
	}
	status, typ := classify(err)
	switch typ {
	case wire.TypeBadRequest, wire.TypeInvalid:
		return &legacyError{status: status, Type: "BadRepresentation", Message: err.Error()}
	case wire.TypeNotFound:
		return legacyNotFound
	case wire.TypeExists:
		return &legacyError{status: status, Type: "Exists", Message: err.Error()}
	}
	return nil // the API's own error, with its type
}

// legacyUnable answers an operation that failed as the original did
// (Unable), on the status of the one classification; a server error stays
// the API's own answer (logged under a reference, its message not shown).
func legacyUnable(err error) error {
	if le := legacyErrorOf(err); le != nil {
		return le
	}
	if status, _ := classify(err); status != http.StatusInternalServerError {
		return &legacyError{status: status, Type: "Unable", Message: err.Error()}
	}
	return err
}

// legacyHandler is a legacy endpoint.
type legacyHandler func(w http.ResponseWriter, r *http.Request, id auth.Identity) error

func (u *userAPI) legacy() {
	// adminOr serves administrators with admin, others with user (nil:
	// not found).
	adminOr := func(admin, user legacyHandler) legacyHandler {
		return func(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
			if id.Admin {
				return admin(w, r, id)
			}
			if user == nil {
				return legacyNotFound
			}
			return user(w, r, id)
		}
	}
	for _, rt := range []struct {
		pattern string
		h       legacyHandler
	}{
		{"GET /user/{name}/api/v1/applications/", adminOr(u.legacyAdminApplications, u.legacyApplications)},
		{"POST /user/{name}/api/v1/applications/", adminOr(u.legacyCreateApplication, nil)},
		{"GET /user/{name}/api/v1/applications/{id}/", u.legacyApplication},
		{"DELETE /user/{name}/api/v1/applications/{image...}", adminOr(u.legacyRemoveApplication, nil)},
		{"GET /user/{name}/api/v1/containers/", adminOr(u.legacyAdminContainers, u.legacyContainers)},
		{"POST /user/{name}/api/v1/containers/", u.legacyStart},
		{"GET /user/{name}/api/v1/containers/{id}/", u.legacyContainer},
		{"DELETE /user/{name}/api/v1/containers/{id}/", adminOr(u.legacyStopAny, u.legacyStop)},
	} {
		h := rt.h
		u.mux.Handle(rt.pattern, u.authenticated(func(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
			err := error(legacyNotFound)
			if r.PathValue("name") == id.User {
				err = h(w, r, id)
			}
			if err == nil {
				return nil
			}
			if le := legacyErrorOf(err); le != nil {
				writeJSON(w, le.status, le)
				return nil
			}
			return err
		}))
	}
}

// legacyItems is tornado-webapi's collection: items keyed by identifier.
type legacyItems struct {
	Identifiers []string       `json:"identifiers"`
	Items       map[string]any `json:"items"`
	Offset      int            `json:"offset"`
	Total       int            `json:"total"`
}

func newLegacyItems() *legacyItems {
	return &legacyItems{Identifiers: []string{}, Items: map[string]any{}}
}

func (l *legacyItems) add(id string, v any) {
	l.Identifiers = append(l.Identifiers, id)
	l.Items[id] = v
	l.Total++
}

// legacyPolicy is the grant's policy; absent values are null, as the
// original's database gave them.
type legacyPolicy struct {
	AppLicense       *string `json:"app_license"`
	AllowHome        bool    `json:"allow_home"`
	VolumeSource     *string `json:"volume_source"`
	VolumeTarget     *string `json:"volume_target"`
	VolumeMode       *string `json:"volume_mode"`
	AllowStartupData bool    `json:"allow_startup_data"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type legacyImage struct {
	Name          string       `json:"name"`
	UIName        string       `json:"ui_name"`
	Icon128       string       `json:"icon_128"`
	Description   string       `json:"description"`
	Type          string       `json:"type"`
	Policy        legacyPolicy `json:"policy"`
	Configurables []string     `json:"configurables"`
}

type legacyContainerRef struct {
	Name      string `json:"name"`
	ImageName string `json:"image_name"`
	URLID     string `json:"url_id"`
}

// legacyApp is an application resource: container is null when it does
// not run.
type legacyApp struct {
	MappingID string              `json:"mapping_id"`
	Image     legacyImage         `json:"image"`
	Container *legacyContainerRef `json:"container"`
}

// legacyApps are the caller's grants whose image is available, by mapping.
func (u *userAPI) legacyApps(r *http.Request, user string) (map[string]legacyApp, []string, error) {
	apps, err := u.d.Portal.Applications(r.Context(), user)
	if err != nil {
		return nil, nil, err
	}
	if !apps.Answering {
		// The legacy shapes cannot say that the list is partial: an
		// error, not a list without the applications Docker did not
		// describe in time.
		return nil, nil, fmt.Errorf("listing the applications of %s: %w", user, session.ErrUnavailable)
	}
	out := map[string]legacyApp{}
	var ids []string
	for _, a := range apps.List {
		if !a.Available {
			continue
		}
		g, img := a.Grant, wireImage(a.Grant.Image, a.Image, true)
		p := g.Policy
		la := legacyApp{MappingID: g.MappingID, Image: legacyImage{
			Name: img.Name, UIName: img.UIName, Icon128: img.Icon128, Description: img.Description,
			Type: img.Type, Configurables: img.Configurables,
			Policy: legacyPolicy{AppLicense: nullable(p.AppLicense), AllowHome: p.AllowHome,
				VolumeSource: nullable(p.Volume.Source), VolumeTarget: nullable(p.Volume.Target),
				VolumeMode: nullable(p.Volume.Mode), AllowStartupData: p.AllowStartupData},
		}}
		if rt := a.Running; rt != nil {
			la.Container = &legacyContainerRef{Name: rt.ContainerName, ImageName: rt.Image, URLID: rt.URLID}
		}
		out[g.MappingID] = la
		ids = append(ids, g.MappingID)
	}
	return out, ids, nil
}

func (u *userAPI) legacyApplications(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	apps, ids, err := u.legacyApps(r, id.User)
	if err != nil {
		return err
	}
	out := newLegacyItems()
	for _, mid := range ids {
		out.add(mid, apps[mid])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (u *userAPI) legacyApplication(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	apps, _, err := u.legacyApps(r, id.User)
	if err != nil {
		return err
	}
	a, ok := apps[r.PathValue("id")]
	if !ok {
		return legacyNotFound
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// legacyContainer is a container resource: name is the container's name.
type legacyContainer struct {
	Name      string `json:"name"`
	ImageName string `json:"image_name"`
	MappingID string `json:"mapping_id"`
}

func legacyContainerOf(rt routes.Route) legacyContainer {
	return legacyContainer{Name: rt.ContainerName, ImageName: rt.Image, MappingID: rt.MappingID}
}

func (u *userAPI) legacyContainers(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	list := u.d.Portal.Sessions(id.User)
	sort.Slice(list, func(i, j int) bool { return list[i].URLID < list[j].URLID })
	out := newLegacyItems()
	for _, rt := range list {
		out.add(rt.URLID, legacyContainerOf(rt))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// legacyStartRequest accepts tornado-webapi's nested configurables
// ({"resolution": {"resolution": "1024x768"}}) and the flat form.
type legacyStartRequest struct {
	MappingID     string                     `json:"mapping_id"`
	Configurables map[string]json.RawMessage `json:"configurables"`
}

func (u *userAPI) legacyStart(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	var req legacyStartRequest
	if err := decodeBody(w, r, &req); err != nil {
		return &legacyError{status: http.StatusBadRequest, Type: "BadRepresentation", Message: err.Error()}
	}
	if req.MappingID == "" {
		return &legacyError{status: http.StatusBadRequest, Type: "BadRepresentation", Message: "missing mapping_id"}
	}
	conf := map[string]string{}
	for k, raw := range req.Configurables {
		var flat string
		if json.Unmarshal(raw, &flat) == nil {
			conf[k] = flat
			continue
		}
		var nested map[string]string
		if err := json.Unmarshal(raw, &nested); err != nil {
			return &legacyError{status: http.StatusBadRequest, Type: "BadRepresentation", Message: "invalid configurables"}
		}
		if v, ok := nested[k]; ok {
			conf[k] = v
		}
	}
	rt, err := u.d.Portal.Start(r.Context(), id.User, req.MappingID, conf)
	switch {
	case errors.Is(err, session.ErrNotFound):
		return &legacyError{status: http.StatusBadRequest, Type: "BadRepresentation", Message: "unrecognized mapping_id"}
	case errors.Is(err, session.ErrInvalid), errors.Is(err, accounting.ErrInvalid):
		return &legacyError{status: http.StatusBadRequest, Type: "BadRepresentation", Message: "invalid configurables: " + err.Error()}
	case err != nil:
		return legacyUnable(err)
	}
	w.Header().Set("Location", fmt.Sprintf("/user/%s/api/v1/containers/%s/", id.User, rt.URLID))
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (u *userAPI) legacyContainer(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	rt, err := u.d.Portal.Session(id.User, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, legacyContainerOf(rt))
	return nil
}

func (u *userAPI) legacyStop(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	return legacyStopped(w, u.d.Portal.Stop(r.Context(), id.User, r.PathValue("id")))
}

// legacyStopped answers a stop in the original's way.
func legacyStopped(w http.ResponseWriter, err error) error {
	switch {
	case errors.Is(err, session.ErrNotFound), errors.Is(err, accounting.ErrNotFound):
		return legacyNotFound
	case err != nil:
		return legacyUnable(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
