package api

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api/wire"
)

// AdminDeps are what the whole admin API needs.
type AdminDeps struct {
	Service admin.Service
	Log     zerolog.Logger
}

// Upload limits.
const (
	MaxImageTarball = 4 << 30
	MaxBuildContext = 1 << 30
)

// NewAdminHandler serves the whole admin API under /api/v1/admin/: the
// accounting (AdminHandler) and the running appliance. It trusts every
// caller: mount it on the admin socket, or behind administrator
// authentication.
//
//	GET    /containers              [container + "viewers"], oldest first
//	DELETE /containers/{url_id}     → 204: stops any user's session
//	GET    /shares?user=NAME        the shares of NAME's sessions and those with NAME
//	GET    /stats                   the activity of the last 24 hours
//	GET    /info                    {"realm","backend","read_only","warnings","version",…}
//	GET    /log?after=N&max=M       the appliance's recent log lines after N (admin socket only)
//	GET    /images                  every local image
//	POST   /images/import           a `docker save` tarball → 201 {"images","warnings"}
//	POST   /images/build?tag=T      a build context tarball → 201 {"name","id","has_protocol","log"}
//	DELETE /images/{ref}            → 204; 400 when an application or a session uses it
//	POST   /starters                → 202: builds the starter images in the background; 409 while one runs
//	GET    /starters                the current or last build
func NewAdminHandler(d AdminDeps) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(admin.AdminPath+"/", AdminHandler(d.Service, d.Log))
	x := &adminExtra{svc: d.Service}
	for _, rt := range []struct {
		pattern string
		h       handlerFunc
	}{
		{"GET /containers", x.containers},
		{"DELETE /containers/{url_id}", x.stopContainer},
		{"GET /shares", x.shares},
		{"GET /stats", x.stats},
		{"GET /info", x.info},
		{"GET /log", x.log},
		{"GET /images", x.images},
		{"POST /images/import", x.importImages},
		{"POST /images/build", x.buildImage},
		{"DELETE /images/{ref...}", x.removeImage},
		{"POST /starters", x.buildStarters},
		{"GET /starters", x.starters},
	} {
		method, path, _ := strings.Cut(rt.pattern, " ")
		register(mux, method+" "+admin.AdminPath+path, handle(d.Log, rt.h))
	}
	return mux
}

type adminExtra struct{ svc admin.Service }

func (x *adminExtra) containers(w http.ResponseWriter, r *http.Request) error {
	list, err := x.svc.Sessions(r.Context())
	if err != nil {
		return err
	}
	out := make([]wire.AdminContainer, 0, len(list))
	for _, s := range list {
		out = append(out, admin.WireSession(s, baseURL(r)+s.URLPath))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (x *adminExtra) stopContainer(w http.ResponseWriter, r *http.Request) error {
	if err := x.svc.StopSession(r.Context(), r.PathValue("url_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (x *adminExtra) shares(w http.ResponseWriter, r *http.Request) error {
	list, err := x.svc.UserShares(r.Context(), r.URL.Query().Get("user"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, admin.WireShares(list))
	return nil
}

func (x *adminExtra) stats(w http.ResponseWriter, r *http.Request) error {
	st, err := x.svc.Stats(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, admin.WireStats(st))
	return nil
}

func (x *adminExtra) info(w http.ResponseWriter, r *http.Request) error {
	i, err := x.svc.Info(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, admin.WireInfo(i))
	return nil
}

// log answers GET /log?after=N&max=M with wire.LogPage: after is a line
// number (absent: 0, from the oldest line kept), max from 1 on (absent:
// admin.LogDefault; more than admin.LogMax is cut down). It logs nothing:
// its lines would feed the log it reads.
func (x *adminExtra) log(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var after uint64
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return badRequest("query parameter after=" + strconv.Quote(v) + ": want a line number (the next of the previous page), 0 for the oldest")
		}
		after = n
	}
	limit := admin.LogDefault
	if v := q.Get("max"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return badRequest("query parameter max=" + strconv.Quote(v) + ": want a whole number from 1 to " + strconv.Itoa(admin.LogMax))
		}
		limit = min(n, admin.LogMax)
	}
	page, err := x.svc.Log(r.Context(), after, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, admin.WireLog(page))
	return nil
}

func (x *adminExtra) images(w http.ResponseWriter, r *http.Request) error {
	list, err := x.svc.Images(r.Context())
	if err != nil {
		return err
	}
	out := make([]wire.ImageInfo, 0, len(list))
	for _, img := range list {
		out = append(out, admin.WireImage(img))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// upload checks an upload's type and bounds its size.
func upload(w http.ResponseWriter, r *http.Request, limit int64) (io.Reader, error) {
	ct := r.Header.Get("Content-Type")
	if ct != "application/x-tar" && ct != "application/octet-stream" {
		return nil, &requestError{status: http.StatusUnsupportedMediaType, typ: wire.TypeBadRequest,
			msg: "request body: want a tarball (Content-Type application/x-tar)"}
	}
	return http.MaxBytesReader(w, r.Body, limit), nil
}

func (x *adminExtra) importImages(w http.ResponseWriter, r *http.Request) error {
	body, err := upload(w, r, MaxImageTarball)
	if err != nil {
		return err
	}
	res, err := x.svc.ImportImages(r.Context(), body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, admin.WireImport(res))
	return nil
}

func (x *adminExtra) buildImage(w http.ResponseWriter, r *http.Request) error {
	body, err := upload(w, r, MaxBuildContext)
	if err != nil {
		return err
	}
	res, err := x.svc.BuildImage(r.Context(), body, r.URL.Query().Get("tag"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, admin.WireBuild(res))
	return nil
}

func (x *adminExtra) removeImage(w http.ResponseWriter, r *http.Request) error {
	if err := x.svc.RemoveImage(r.Context(), r.PathValue("ref")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (x *adminExtra) buildStarters(w http.ResponseWriter, r *http.Request) error {
	if err := x.svc.BuildStarters(r.Context()); err != nil {
		return err
	}
	st, err := x.svc.Starters(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, admin.WireStarters(st))
	return nil
}

func (x *adminExtra) starters(w http.ResponseWriter, r *http.Request) error {
	st, err := x.svc.Starters(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, admin.WireStarters(st))
	return nil
}
