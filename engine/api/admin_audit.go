package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/audit"
)

// listAudit answers GET /audit?limit=N&before=ID&user=&action=&from=&to=
// with wire.AuditPage. limit is 1 or more (default audit.DefaultLimit, at
// most audit.MaxLimit: more is cut down), before an entry id (absent or 0:
// from the newest), from and to RFC 3339 times (to excluded).
func (a *adminAPI) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	aq := audit.Query{User: q.Get("user"), Action: q.Get("action")}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &aq.From}, {"to", &aq.To}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return badRequest("query parameter " + p.name + "=" + strconv.Quote(v) + ": want an RFC 3339 time such as 2026-12-07T00:00:00Z")
			}
			*p.t = t
		}
	}
	limit := audit.DefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return badRequest("query parameter limit=" + strconv.Quote(v) + ": want a whole number from 1 to " + strconv.Itoa(audit.MaxLimit))
		}
		limit = audit.Limit(n)
	}
	var before uint64
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return badRequest("query parameter before=" + strconv.Quote(v) + ": want an entry id (the next of the previous page)")
		}
		before = n
	}
	aq.Before, aq.Limit = before, limit
	entries, next, err := a.svc.Audit(r.Context(), aq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.NewAuditPage(entries, next))
	return nil
}
