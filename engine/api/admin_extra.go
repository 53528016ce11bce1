package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/session"
)

// Images is what the admin API does with Docker images.
type Images interface {
	Images(ctx context.Context) ([]docker.LocalImage, error)
	LoadImages(ctx context.Context, tarball io.Reader) ([]string, error)
	BuildImage(ctx context.Context, buildContext io.Reader, tag string) (string, error)
	Inspect(ctx context.Context, ref string) (string, map[string]string, error)
}

// AdminDeps are what the whole admin API needs.
type AdminDeps struct {
	Service  admin.Service
	Accounts accounting.Store
	Sessions Sessions
	Images   Images
	// SignedIn counts the signed-in users.
	SignedIn func() int
	Realm    string
	Audit    *audit.Log
	Log      zerolog.Logger
}

// Upload limits.
const (
	MaxImageTarball = 4 << 30
	MaxBuildContext = 1 << 30
)

// NewAdminHandler serves the whole admin API under /api/v1/admin/: the
// accounting (AdminHandler) and the running appliance (containers, stats,
// images). It trusts every caller: mount it on the admin socket, or behind
// administrator authentication.
func NewAdminHandler(d AdminDeps) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(admin.AdminPath+"/", AdminHandler(d.Service, d.Log))
	x := &adminExtra{d: d}
	for _, rt := range []struct {
		pattern string
		h       handlerFunc
	}{
		{"GET /containers", x.containers},
		{"DELETE /containers/{url_id}", x.stopContainer},
		{"GET /stats", x.stats},
		{"GET /images", x.images},
		{"POST /images/import", x.importImages},
		{"POST /images/build", x.buildImage},
	} {
		method, path, _ := strings.Cut(rt.pattern, " ")
		register(mux, method+" "+admin.AdminPath+path, handle(d.Log, rt.h))
	}
	return mux
}

type adminExtra struct{ d AdminDeps }

func (x *adminExtra) containers(w http.ResponseWriter, r *http.Request) error {
	list := x.d.Sessions.Routes().List()
	out := make([]wire.Container, 0, len(list))
	for _, rt := range list {
		out = append(out, containerOf(r, rt))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (x *adminExtra) stopContainer(w http.ResponseWriter, r *http.Request) error {
	if err := stopAny(r.Context(), x.d.Sessions, x.d.Audit, r.PathValue("url_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// stopAny stops any user's session for an administrator (the actor in ctx).
func stopAny(ctx context.Context, sessions Sessions, log *audit.Log, urlID string) error {
	by := "administrator"
	if a, ok := audit.ActorFrom(ctx); ok {
		by = a.Name
	}
	err := sessions.StopAny(ctx, urlID, by)
	if !errors.Is(err, session.ErrNotFound) {
		log.Record(ctx, audit.SessionStop, urlID, "by an administrator", err)
	}
	return err
}

func (x *adminExtra) stats(w http.ResponseWriter, r *http.Request) error {
	users, err := x.d.Accounts.Users(r.Context())
	if err != nil {
		return err
	}
	apps, err := x.d.Accounts.Applications(r.Context())
	if err != nil {
		return err
	}
	running := x.d.Sessions.Routes().List()
	active := map[string]bool{}
	for _, rt := range running {
		active[rt.User] = true
	}
	signedIn := 0
	if x.d.SignedIn != nil {
		signedIn = x.d.SignedIn()
	}
	writeJSON(w, http.StatusOK, wire.AdminStats{
		Realm: x.d.Realm, Users: len(users), ActiveUsers: len(active), Applications: len(apps),
		RunningSessions: len(running), SignedInUsers: signedIn,
	})
	return nil
}

// unavailable turns an unreachable Docker into the API's 503.
func unavailable(err error) error {
	if errors.Is(err, docker.ErrUnreachable) {
		return fmt.Errorf("%w: %v", admin.ErrUnavailable, err)
	}
	return err
}

func (x *adminExtra) images(w http.ResponseWriter, r *http.Request) error {
	list, err := x.d.Images.Images(r.Context())
	if err != nil {
		return unavailable(err)
	}
	apps, err := x.d.Accounts.Applications(r.Context())
	if err != nil {
		return err
	}
	registered := map[string]bool{}
	for _, a := range apps {
		registered[a.Image] = true
	}
	out := make([]wire.ImageInfo, 0, len(list))
	for _, li := range list {
		info := wire.ImageInfo{Name: li.Name, ID: li.ID, HasProtocol: protocol.HasProtocol(li.Labels), Registered: registered[li.Name], Size: li.Size}
		if img, err := protocol.ParseImage(li.Name, li.ID, li.Labels); err == nil {
			info.UIName, info.Type, info.Description = img.UIName, img.Type, img.Description
		}
		out = append(out, info)
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

// refused turns Docker's refusal of an upload into a 400 or 413.
func refused(what string, err error) error {
	switch {
	case isTooLarge(err):
		return &requestError{status: http.StatusRequestEntityTooLarge, typ: wire.TypeTooLarge, msg: what + ": the upload is over the limit"}
	case errors.Is(err, docker.ErrBadInput):
		return &requestError{status: http.StatusBadRequest, typ: wire.TypeInvalid, msg: what + ": " + err.Error()}
	}
	return unavailable(err)
}

func (x *adminExtra) importImages(w http.ResponseWriter, r *http.Request) error {
	body, err := upload(w, r, MaxImageTarball)
	if err != nil {
		return err
	}
	names, err := x.d.Images.LoadImages(r.Context(), body)
	x.d.Audit.Record(r.Context(), audit.ImageImport, strings.Join(names, ", "), "", err)
	if err != nil {
		return refused("not an image tarball", err)
	}
	res := wire.ImportResult{Images: []wire.ImportedImage{}, Warnings: []string{}}
	for _, n := range names {
		id, labels, err := x.d.Images.Inspect(r.Context(), n)
		if err != nil {
			return unavailable(err)
		}
		has := protocol.HasProtocol(labels)
		if !has {
			res.Warnings = append(res.Warnings, n+" carries no simphony-remote labels: the portal will show it without a name, icon or type")
		}
		res.Images = append(res.Images, wire.ImportedImage{Name: n, ID: id, HasProtocol: has})
	}
	sort.Slice(res.Images, func(i, j int) bool { return res.Images[i].Name < res.Images[j].Name })
	writeJSON(w, http.StatusCreated, res)
	return nil
}

func (x *adminExtra) buildImage(w http.ResponseWriter, r *http.Request) error {
	tag := r.URL.Query().Get("tag")
	if err := accounting.ValidateImage(tag); err != nil {
		return err
	}
	body, err := upload(w, r, MaxBuildContext)
	if err != nil {
		return err
	}
	log, err := x.d.Images.BuildImage(r.Context(), body, tag)
	x.d.Audit.Record(r.Context(), audit.ImageBuild, tag, "", err)
	if err != nil {
		e := refused("the build failed", err)
		var re *requestError
		if errors.As(e, &re) && log != "" {
			re.msg += "\n" + log
		}
		return e
	}
	id, labels, err := x.d.Images.Inspect(r.Context(), tag)
	if err != nil {
		return unavailable(err)
	}
	writeJSON(w, http.StatusCreated, wire.BuildResult{Name: tag, ID: id, HasProtocol: protocol.HasProtocol(labels), Log: log})
	return nil
}
