package adminweb

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
)

// policyFields maps what the service rejects in a grant to the form's
// fields.
var policyFields = map[string]string{
	"user name":   "user",
	"image name":  "image",
	"volume":      "volume",
	"app licence": "app_license",
}

// policyOf reads the policy form.
func policyOf(r *http.Request) accounting.Policy {
	p := accounting.Policy{
		AppLicense:       r.PostFormValue("app_license"),
		AllowHome:        r.PostFormValue("allow_home") == "on",
		AllowView:        r.PostFormValue("allow_view") == "on",
		AllowStartupData: r.PostFormValue("allow_startup_data") == "on",
	}
	src, tgt := strings.TrimSpace(r.PostFormValue("volume_source")), strings.TrimSpace(r.PostFormValue("volume_target"))
	if src != "" || tgt != "" {
		p.Volume = accounting.Volume{Source: src, Target: tgt, Mode: r.PostFormValue("volume_mode")}
	}
	return p
}

// grant grants an application to a user from the forms of the user, the
// application and the grants pages (?from= says which, to show it again
// with the errors next to the fields).
func (h *Handler) grant(w http.ResponseWriter, r *http.Request) {
	if !h.checkPost(w, r) {
		return
	}
	user, image := strings.TrimSpace(r.PostFormValue("user")), strings.TrimSpace(r.PostFormValue("image"))
	id, err := h.d.Service.Grant(r.Context(), user, image, policyOf(r))
	back := backOf(r, Prefix+"grants")
	if fields := fieldErrors(err, policyFields, "user"); fields != nil {
		h.grantFormAgain(w, r, fields, err)
		return
	}
	h.done(w, r, back, "Granted "+image+" to "+user+" (mapping "+id+").", err)
}

// grantFormAgain shows the page whose grant form was rejected.
func (h *Handler) grantFormAgain(w http.ResponseWriter, r *http.Request, fields map[string]string, err error) {
	switch r.PostFormValue("from") {
	case "application":
		h.showApplication(w, r, r.PostFormValue("image"), "application", "Application ", fields, err)
		return
	case "user":
		h.showUser(w, r, r.PostFormValue("user"), "user", "User ", fields, err)
		return
	}
	p := h.newPage(w, r, "grants", "Grants")
	d, gerr := h.grantsData(r, "", "")
	if gerr != nil {
		h.fail(w, r, "Grants unavailable", gerr)
		return
	}
	p.Data = d
	h.showAgain(w, r, p, "grants", fields, err)
}

// backOf is the admin page a form returns to (its "back" field), or
// otherwise when it names none.
func backOf(r *http.Request, otherwise string) string {
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, Prefix) || strings.ContainsAny(back, "\\") {
		return otherwise
	}
	return back
}

func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) {
	if !h.checkPost(w, r) {
		return
	}
	id := r.PostFormValue("mapping_id")
	err := h.d.Service.RevokeMapping(r.Context(), id)
	h.done(w, r, backOf(r, Prefix+"grants"), "Revoked the grant "+id+"; its sessions were stopped.", err)
}

type grantsData struct {
	User, Image string
	Grants      []accounting.Grant
	Apps        []accounting.Application
	Back        string
}

func (h *Handler) grantsData(r *http.Request, user, image string) (grantsData, error) {
	d := grantsData{User: user, Image: image}
	v := url.Values{}
	if user != "" {
		v.Set("user", user)
	}
	if image != "" {
		v.Set("image", image)
	}
	d.Back = Prefix + "grants"
	if len(v) > 0 {
		d.Back += "?" + v.Encode()
	}
	var err error
	if d.Apps, err = h.d.Service.Applications(r.Context()); err != nil {
		return d, err
	}
	var users []admin.User
	if user != "" {
		var gs []accounting.Grant
		gs, err = h.d.Service.Grants(r.Context(), user)
		users = []admin.User{{Name: user, Grants: gs}}
	} else {
		users, err = h.d.Service.Users(r.Context(), true)
	}
	if err != nil {
		return d, err
	}
	for _, u := range users {
		for _, g := range u.Grants {
			if image == "" || g.Image == image {
				d.Grants = append(d.Grants, g)
			}
		}
	}
	return d, nil
}

// grants lists the grants, of one user (?user=) and/or one application
// (?image=), with the form to grant more.
func (h *Handler) grants(w http.ResponseWriter, r *http.Request) {
	p := h.newPage(w, r, "grants", "Grants")
	d, err := h.grantsData(r, strings.TrimSpace(r.URL.Query().Get("user")), strings.TrimSpace(r.URL.Query().Get("image")))
	if err != nil {
		h.fail(w, r, "Grants unavailable", err)
		return
	}
	p.Data = d
	h.render(w, http.StatusOK, "grants", p)
}
