package api

import (
	"net/http"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
)

func (a *adminAPI) importRecords(w http.ResponseWriter, r *http.Request) error {
	var in wire.Import
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	b := accounting.Batch{Users: in.Users, Applications: in.Applications}
	for _, g := range in.Grants {
		b.Grants = append(b.Grants, g.Grant())
	}
	rep, err := a.svc.Import(r.Context(), b, in.DryRun)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.ImportReport{DryRun: rep.DryRun, Users: rep.Users, Applications: rep.Applications,
		Grants: rep.Grants, Unchanged: rep.Unchanged, Conflicts: rep.Conflicts})
	return nil
}
