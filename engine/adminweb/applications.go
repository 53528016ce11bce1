package adminweb

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/docker/go-units"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
)

type applicationsData struct {
	Apps []appView
}

// appView is an application with what its image's labels say.
type appView struct {
	accounting.Application
	Label imageLabels
	// Missing: Docker answered and does not have the image.
	Missing bool
}

func newAppView(a accounting.Application, labels map[string]imageLabels) appView {
	l, ok := labels[a.Image]
	return appView{Application: a, Label: l, Missing: labels != nil && !ok}
}

func appURL(image string) string { return Prefix + "applications/view?image=" + url.QueryEscape(image) }

func (h *Handler) applications(w http.ResponseWriter, r *http.Request) {
	p := h.newPage(w, r, "applications", "Applications")
	d, err := h.applicationsData(r)
	if err != nil {
		h.fail(w, r, "Applications unavailable", err)
		return
	}
	p.Data = d
	h.render(w, http.StatusOK, "applications", p)
}

func (h *Handler) applicationsData(r *http.Request) (applicationsData, error) {
	apps, err := h.d.Service.Applications(r.Context())
	if err != nil {
		return applicationsData{}, err
	}
	labels := h.labels(r)
	var d applicationsData
	for _, a := range apps {
		d.Apps = append(d.Apps, newAppView(a, labels))
	}
	return d, nil
}

// limitsOf reads the limits form: memory as a size (2GiB, 512m), CPUs and
// processes as numbers; an empty field is 0, the appliance's default.
func limitsOf(r *http.Request) (accounting.Limits, map[string]string) {
	var l accounting.Limits
	bad := map[string]string{}
	var err error
	if v := strings.TrimSpace(r.PostFormValue("memory")); v != "" {
		if l.Memory, err = units.RAMInBytes(v); err != nil {
			bad["memory"] = fmt.Sprintf("Memory %q: want a size like 2GiB or 512m, or nothing for the default.", v)
		}
	}
	if v := strings.TrimSpace(r.PostFormValue("cpus")); v != "" {
		if l.CPUs, err = strconv.ParseFloat(v, 64); err != nil {
			bad["cpus"] = fmt.Sprintf("CPUs %q: want a number like 2 or 0.5, or nothing for the default.", v)
		}
	}
	if v := strings.TrimSpace(r.PostFormValue("pids")); v != "" {
		if l.Pids, err = strconv.ParseInt(v, 10, 64); err != nil {
			bad["pids"] = fmt.Sprintf("Processes %q: want a whole number, or nothing for the default.", v)
		}
	}
	if len(bad) > 0 {
		return l, bad
	}
	return l, nil
}

// limitsFields maps the service's rejection of limits to the form.
var limitsFields = map[string]string{"limits": "memory", "image name": "image"}

func (h *Handler) createApplication(w http.ResponseWriter, r *http.Request) {
	if !h.checkPost(w, r) {
		return
	}
	image := strings.TrimSpace(r.PostFormValue("image"))
	l, bad := limitsOf(r)
	var err error
	if bad == nil {
		_, err = h.d.Service.CreateApplication(r.Context(), admin.NewApplication{
			Image: image, Limits: l, Verify: r.PostFormValue("verify") == "on", RunAsRoot: r.PostFormValue("run_as_root") == "on"})
		if bad = fieldErrors(err, limitsFields, "image"); bad == nil && errors.Is(err, admin.ErrUnavailable) {
			bad = map[string]string{"image": sentenceOf(err)}
		}
	}
	if bad != nil {
		p := h.newPage(w, r, "applications", "Applications")
		d, derr := h.applicationsData(r)
		if derr != nil {
			h.fail(w, r, "Applications unavailable", derr)
			return
		}
		p.Data = d
		if err == nil {
			err = accounting.ErrInvalid
		}
		h.showAgain(w, r, p, "applications", bad, err)
		return
	}
	h.done(w, r, appURL(image), "Added the application "+image+".", err)
}

type applicationData struct {
	App    appView
	Grants []accounting.Grant
	Users  []string
	Back   string
}

func (h *Handler) applicationData(r *http.Request, a accounting.Application) (applicationData, error) {
	d := applicationData{App: newAppView(a, h.labels(r)), Back: appURL(a.Image)}
	users, err := h.d.Service.Users(r.Context(), true)
	if err != nil {
		return d, err
	}
	for _, u := range users {
		for _, g := range u.Grants {
			if g.Image == a.Image {
				d.Grants = append(d.Grants, g)
			}
		}
	}
	return d, nil
}

// application shows one application: its labels, limits and grants.
func (h *Handler) application(w http.ResponseWriter, r *http.Request) {
	h.showApplication(w, r, r.URL.Query().Get("image"), "application", "Application ", nil, nil)
}

// showApplication renders the page name (application, or its removal)
// of the application of image; with fields, the page of a form rejected
// because of cause, with the errors next to its fields.
func (h *Handler) showApplication(w http.ResponseWriter, r *http.Request, image, name, title string, fields map[string]string, cause error) {
	a, err := h.d.Service.Application(r.Context(), image)
	if err != nil {
		h.fail(w, r, "No such application", err)
		return
	}
	p := h.newPage(w, r, "applications", title+a.Image)
	if p.Data, err = h.applicationData(r, a); err != nil {
		h.fail(w, r, "Application unavailable", err)
		return
	}
	if fields == nil {
		h.render(w, http.StatusOK, name, p)
		return
	}
	h.showAgain(w, r, p, name, fields, cause)
}

func (h *Handler) setLimits(w http.ResponseWriter, r *http.Request) {
	if !h.checkPost(w, r) {
		return
	}
	image := r.PostFormValue("image")
	l, bad := limitsOf(r)
	var a accounting.Application
	var err error
	if bad == nil {
		a, err = h.d.Service.SetLimits(r.Context(), image, admin.AllLimits(l))
		bad = fieldErrors(err, limitsFields, "memory")
	}
	if bad != nil {
		if err == nil {
			err = accounting.ErrInvalid
		}
		h.showApplication(w, r, image, "application", "Application ", bad, err)
		return
	}
	h.done(w, r, appURL(image), "The limits of "+image+" are now: "+a.Limits.String()+".", err)
}

func (h *Handler) setRoot(w http.ResponseWriter, r *http.Request) {
	if !h.checkPost(w, r) {
		return
	}
	image := r.PostFormValue("image")
	root := r.PostFormValue("run_as_root") == "on"
	_, err := h.d.Service.SetRunAsRoot(r.Context(), image, root)
	msg := image + " now runs as the session owner."
	if root {
		msg = image + " now runs as its image's own user."
	}
	h.done(w, r, appURL(image), msg, err)
}

func (h *Handler) removeApplicationPage(w http.ResponseWriter, r *http.Request) {
	h.showApplication(w, r, r.URL.Query().Get("image"), "application_remove", "Remove ", nil, nil)
}

func (h *Handler) removeApplication(w http.ResponseWriter, r *http.Request) {
	if !h.checkPost(w, r) {
		return
	}
	image := r.PostFormValue("image")
	if err := h.d.Service.RemoveApplication(r.Context(), image); err != nil {
		h.done(w, r, appURL(image), "", err)
		return
	}
	h.done(w, r, Prefix+"applications", "Removed the application "+image+" and its grants.", nil)
}
