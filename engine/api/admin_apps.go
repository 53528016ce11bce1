package api

import (
	"net/http"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/logging"
)

func limitsOf(l accounting.LimitsJSON) accounting.Limits {
	return accounting.Limits{Memory: l.MemoryBytes, CPUs: l.CPUs, Pids: l.Pids}
}

func (a *adminAPI) listApplications(w http.ResponseWriter, r *http.Request) error {
	apps, err := a.svc.Applications(r.Context())
	if err != nil {
		return err
	}
	if apps == nil {
		apps = []accounting.Application{}
	}
	writeJSON(w, http.StatusOK, apps)
	return nil
}

func (a *adminAPI) getApplication(w http.ResponseWriter, r *http.Request) error {
	app, err := a.svc.Application(r.Context(), r.PathValue("image"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, app)
	return nil
}

func (a *adminAPI) createApplication(w http.ResponseWriter, r *http.Request) error {
	var in wire.CreateApplication
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	verify := in.Verify == nil || *in.Verify
	app, err := a.svc.CreateApplication(r.Context(), admin.NewApplication{Image: in.Image, Limits: limitsOf(in.Limits), Verify: verify, RunAsRoot: in.RunAsRoot})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, app)
	return nil
}

func (a *adminAPI) updateApplication(w http.ResponseWriter, r *http.Request) error {
	var in wire.UpdateApplication
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.Limits == nil && in.RunAsRoot == nil {
		return &accounting.InvalidError{What: "field", Value: "limits", Rule: "it is required unless run_as_root is given"}
	}
	var app accounting.Application
	var err error
	if in.Limits != nil {
		c := admin.LimitsChange{Memory: in.Limits.MemoryBytes, CPUs: in.Limits.CPUs, Pids: in.Limits.Pids}
		if app, err = a.svc.SetLimits(r.Context(), r.PathValue("image"), c); err != nil {
			return err
		}
	}
	if in.RunAsRoot != nil {
		if app, err = a.svc.SetRunAsRoot(r.Context(), r.PathValue("image"), *in.RunAsRoot); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, app)
	return nil
}

func (a *adminAPI) removeApplication(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.RemoveApplication(r.Context(), r.PathValue("image")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// countingWriter notes whether anything reached the client.
type countingWriter struct {
	w http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// backup streams the database. A failure before the first byte is an
// ordinary error answer; after it, the connection is cut so that the client
// sees a broken transfer, never a short file that looks complete.
func (a *adminAPI) backup(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="simphony-remote-backup.db"`)
	h.Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return nil
	}
	cw := &countingWriter{w: w}
	err := a.svc.Backup(r.Context(), cw)
	switch {
	case err == nil:
		return nil
	case cw.n == 0:
		h.Del("Content-Disposition")
		return err
	}
	if r.Context().Err() == nil {
		l := a.log.With().Str("method", r.Method).Str("path", r.URL.Path).Int64("bytes_sent", cw.n).Logger()
		logging.Issue(&l, err, "backup failed half way; cutting the connection")
	}
	panic(http.ErrAbortHandler)
}
