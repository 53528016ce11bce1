package adminweb

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/simphony/simphony-remote/engine/audit"
)

// auditFilter is the audit page's filter form: a user, an action, dates
// (YYYY-MM-DD, in UTC).
type auditFilter struct {
	User, Action string
	From, To     string
}

type auditData struct {
	Filter  auditFilter
	Entries []audit.Entry
	Next    string
	Actions []string
}

// actions are the audit log's actions, for the filter's choice.
var actions = []string{audit.SignIn, audit.SignOut, audit.UserCreate, audit.UserRemove, audit.UserUpdate, audit.UserLink,
	audit.ApplicationCreate, audit.ApplicationRemove, audit.ApplicationLimits, audit.ApplicationRoot,
	audit.GrantCreate, audit.GrantRevoke, audit.SessionStart, audit.SessionStop, audit.ShareCreate, audit.ShareRemove,
	audit.TokenCreate, audit.TokenRemove, audit.ImageImport, audit.ImageBuild, audit.Backup}

// auditPage shows the audit log, newest first, perPage matching entries a
// page (the service bounds how far one page looks); ?before= is where a
// page starts.
func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request) {
	p := h.newPage(w, r, "audit", "Audit log")
	q := r.URL.Query()
	f := auditFilter{User: strings.TrimSpace(q.Get("user")), Action: q.Get("action"), From: q.Get("from"), To: q.Get("to")}
	aq := audit.Query{Limit: perPage, User: f.User, Action: f.Action}
	aq.Before, _ = strconv.ParseUint(q.Get("before"), 10, 64)
	p.Fields = map[string]string{}
	if f.From != "" {
		t, err := time.Parse(time.DateOnly, f.From)
		if err != nil {
			p.Fields["from"] = "Want a date like 2026-12-07."
		}
		aq.From = t
	}
	if f.To != "" {
		t, err := time.Parse(time.DateOnly, f.To)
		if err != nil {
			p.Fields["to"] = "Want a date like 2026-12-07."
		} else {
			aq.To = t.AddDate(0, 0, 1) // the whole day
		}
	}
	d := auditData{Filter: f, Actions: actions}
	entries, next, err := h.d.Service.Audit(r.Context(), aq)
	if bad := fieldErrors(err, map[string]string{"time range": "to"}, "to"); bad != nil {
		p.Fields, err = bad, nil
	}
	if err != nil {
		h.fail(w, r, "Audit log unavailable", err)
		return
	}
	d.Entries = entries
	if next != 0 {
		v := url.Values{}
		for k, val := range map[string]string{"user": f.User, "action": f.Action, "from": f.From, "to": f.To} {
			if val != "" {
				v.Set(k, val)
			}
		}
		v.Set("before", strconv.FormatUint(next, 10))
		d.Next = Prefix + "audit?" + v.Encode()
	}
	p.Data = d
	h.render(w, http.StatusOK, "audit", p)
}
