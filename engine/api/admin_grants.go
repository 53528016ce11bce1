package api

import (
	"net/http"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
)

func (a *adminAPI) listGrants(w http.ResponseWriter, r *http.Request) error {
	user := r.URL.Query().Get("user")
	if user == "" {
		return &accounting.InvalidError{What: "query parameter", Value: "user", Rule: "it is required: /api/v1/admin/grants?user=NAME"}
	}
	grants, err := a.svc.Grants(r.Context(), user)
	if err != nil {
		return err
	}
	if grants == nil {
		grants = []accounting.Grant{}
	}
	writeJSON(w, http.StatusOK, grants)
	return nil
}

func (a *adminAPI) grant(w http.ResponseWriter, r *http.Request) error {
	var in wire.CreateGrant
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	if err := required("user", in.User, "image", in.Image); err != nil {
		return err
	}
	id, err := a.svc.Grant(r.Context(), in.User, in.Image, in.Policy)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, wire.MappingID{MappingID: id})
	return nil
}

func (a *adminAPI) revoke(w http.ResponseWriter, r *http.Request) error {
	var in wire.RevokeGrants
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	if err := required("user", in.User, "image", in.Image); err != nil {
		return err
	}
	var n int
	switch {
	case in.All && in.Policy != nil:
		return &accounting.InvalidError{What: "field", Value: "all", Rule: `it revokes every grant whatever its policy; it cannot be combined with "policy"`}
	case in.All:
		var err error
		if n, err = a.svc.RevokeAll(r.Context(), in.User, in.Image); err != nil {
			return err
		}
	case in.Policy == nil:
		return &accounting.InvalidError{What: "field", Value: "policy", Rule: `it is required unless "all" is true`}
	default:
		if err := a.svc.Revoke(r.Context(), in.User, in.Image, *in.Policy); err != nil {
			return err
		}
		n = 1
	}
	writeJSON(w, http.StatusOK, wire.Revoked{Revoked: n})
	return nil
}

func (a *adminAPI) revokeMapping(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.RevokeMapping(r.Context(), r.PathValue("mapping_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
