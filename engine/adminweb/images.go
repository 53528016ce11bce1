package adminweb

import (
	"html/template"
	"io"
	"net/http"
	"strings"

	"github.com/simphony/simphony-remote/engine/admin"
)

type imagesData struct {
	Images   []admin.Image
	Starters admin.StartersBuild
}

func (h *Handler) images(w http.ResponseWriter, r *http.Request) {
	p := h.newPage(w, r, "images", "Images")
	var d imagesData
	var err error
	if d.Images, err = h.d.Service.Images(r.Context()); err != nil {
		h.fail(w, r, "Images unavailable", err)
		return
	}
	if d.Starters, err = h.d.Service.Starters(r.Context()); err != nil {
		h.fail(w, r, "Images unavailable", err)
		return
	}
	if d.Starters.Running {
		p.Refresh = 5
	}
	p.Data = d
	h.render(w, http.StatusOK, "images", p)
}

// labels are what the local images' labels say, by image name; nil when
// Docker does not answer (the pages then show the names only).
func (h *Handler) labels(r *http.Request) map[string]imageLabels {
	imgs, err := h.d.Service.Images(r.Context())
	if err != nil {
		return nil
	}
	m := make(map[string]imageLabels, len(imgs))
	for _, im := range imgs {
		l := imageLabels{Name: im.UIName, Description: im.Description, Type: im.Type, Env: im.Env, Present: true}
		if im.Icon128 != "" {
			// The service checked that the label is a base64 PNG.
			l.Icon = template.URL("data:image/png;base64," + im.Icon128)
		}
		m[im.Name] = l
	}
	return m
}

// imageLabels is what an image's labels say about it.
type imageLabels struct {
	Name, Description, Type string
	// Icon is a data: URL of its icon; "" for none.
	Icon template.URL
	// Env are the environment variables it declares.
	Env []admin.DeclaredEnv
	// Present: Docker has the image.
	Present bool
}

// maxToken bounds the CSRF field read before an upload.
const maxToken = 256

// importImages streams an uploaded `docker save` tarball to Docker: the
// multipart body is read part by part, the CSRF token first, then the
// file, which goes to the service as it arrives (never into memory or a
// temporary file here).
func (h *Handler) importImages(w http.ResponseWriter, r *http.Request) {
	mr, err := r.MultipartReader()
	if err != nil {
		h.d.Refuse(w, r, http.StatusBadRequest, "want a multipart form with the tarball")
		return
	}
	part, err := mr.NextPart()
	token := ""
	if err == nil && part.FormName() == "csrf_token" {
		b, _ := io.ReadAll(io.LimitReader(part, maxToken))
		token = string(b)
		part, err = mr.NextPart()
	}
	if !h.checkToken(w, r, token) {
		return
	}
	if err != nil || part.FormName() != "tarball" || part.FileName() == "" {
		setFlash(w, r, "e", "Choose a tarball made by docker save.")
		http.Redirect(w, r, Prefix+"images", http.StatusSeeOther)
		return
	}
	res, err := h.d.Service.ImportImages(r.Context(), part)
	if err != nil {
		h.done(w, r, Prefix+"images", "", err)
		return
	}
	var names []string
	for _, im := range res.Images {
		names = append(names, im.Name)
	}
	msg := "Imported " + strings.Join(names, ", ") + "."
	if len(names) == 0 {
		msg = "The tarball held no image."
	}
	for _, warn := range res.Warnings {
		msg += " " + sentence(warn)
	}
	h.done(w, r, Prefix+"images", msg, nil)
}

func (h *Handler) buildStarters(w http.ResponseWriter, r *http.Request) {
	if !h.checkPost(w, r) {
		return
	}
	err := h.d.Service.BuildStarters(r.Context())
	h.done(w, r, Prefix+"images#starters", "Building the starter images.", err)
}

func (h *Handler) removeImagePage(w http.ResponseWriter, r *http.Request) {
	ref := r.URL.Query().Get("ref")
	imgs, err := h.d.Service.Images(r.Context())
	if err != nil {
		h.fail(w, r, "Images unavailable", err)
		return
	}
	for _, im := range imgs {
		if im.Name == ref || im.ID == ref {
			p := h.newPage(w, r, "images", "Remove "+im.Name)
			p.Data = im
			h.render(w, http.StatusOK, "image_remove", p)
			return
		}
	}
	h.d.Refuse(w, r, http.StatusNotFound, "there is no image "+ref)
}

func (h *Handler) removeImage(w http.ResponseWriter, r *http.Request) {
	if !h.checkPost(w, r) {
		return
	}
	ref := r.PostFormValue("ref")
	err := h.d.Service.RemoveImage(r.Context(), ref)
	h.done(w, r, Prefix+"images", "Removed the image "+ref+".", err)
}
