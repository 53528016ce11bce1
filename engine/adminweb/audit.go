package adminweb

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/simphony/simphony-remote/engine/audit"
)

// auditFilter is what the audit page shows: entries of a user (as the
// actor, or what was acted on), of an action, in a time range.
type auditFilter struct {
	User, Action string
	From, To     string // dates, YYYY-MM-DD, in UTC
	from, to     time.Time
}

func (f auditFilter) match(e audit.Entry) bool {
	if f.User != "" && e.Actor != f.User && e.Target != f.User && !strings.HasSuffix(e.Target, " for "+f.User) {
		return false
	}
	if f.Action != "" && e.Action != f.Action {
		return false
	}
	if !f.from.IsZero() && e.Time.Before(f.from) {
		return false
	}
	return f.to.IsZero() || e.Time.Before(f.to)
}

type auditData struct {
	Filter  auditFilter
	Entries []audit.Entry
	Next    string
	Actions []string
}

// actions are the audit log's actions, for the filter's choice.
var actions = []string{audit.SignIn, audit.SignOut, audit.UserCreate, audit.UserRemove, audit.UserUpdate,
	audit.ApplicationCreate, audit.ApplicationRemove, audit.ApplicationLimits, audit.ApplicationRoot,
	audit.GrantCreate, audit.GrantRevoke, audit.SessionStart, audit.SessionStop, audit.ShareCreate, audit.ShareRemove,
	audit.TokenCreate, audit.TokenRemove, audit.ImageImport, audit.ImageBuild, audit.Backup}

// auditScan bounds the entries one page reads to find matching ones.
const auditScan = 20 * audit.MaxLimit

// auditPage shows the audit log, newest first, perPage matching entries a
// page; ?before= is where a page starts.
func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request) {
	p := h.newPage(w, r, "audit", "Audit log")
	q := r.URL.Query()
	f := auditFilter{User: strings.TrimSpace(q.Get("user")), Action: q.Get("action"), From: q.Get("from"), To: q.Get("to")}
	p.Fields = map[string]string{}
	if f.From != "" {
		t, err := time.Parse(time.DateOnly, f.From)
		if err != nil {
			p.Fields["from"] = "Want a date like 2026-12-07."
		}
		f.from = t
	}
	if f.To != "" {
		t, err := time.Parse(time.DateOnly, f.To)
		if err != nil {
			p.Fields["to"] = "Want a date like 2026-12-07."
		}
		f.to = t.AddDate(0, 0, 1)
	}
	before, _ := strconv.ParseUint(q.Get("before"), 10, 64)
	d := auditData{Filter: f, Actions: actions}
	for scanned := 0; ; {
		entries, next, err := h.d.Service.Audit(r.Context(), before, audit.MaxLimit)
		if err != nil {
			h.fail(w, r, "Audit log unavailable", err)
			return
		}
		full := false
		for _, e := range entries {
			scanned++
			before = e.ID
			if f.match(e) {
				d.Entries = append(d.Entries, e)
				if full = len(d.Entries) == perPage; full {
					break
				}
			}
		}
		if full || scanned >= auditScan {
			break // the next page starts below the last entry read
		}
		if before = next; next == 0 {
			break
		}
	}
	if before != 0 {
		v := url.Values{}
		for k, val := range map[string]string{"user": f.User, "action": f.Action, "from": f.From, "to": f.To} {
			if val != "" {
				v.Set(k, val)
			}
		}
		v.Set("before", strconv.FormatUint(before, 10))
		d.Next = Prefix + "audit?" + v.Encode()
	}
	p.Data = d
	h.render(w, http.StatusOK, "audit", p)
}
