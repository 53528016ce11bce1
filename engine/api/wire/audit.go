package wire

import "github.com/simphony/simphony-remote/engine/audit"

// AuditPage answers GET /api/v1/admin/audit?limit=N&before=ID: entries
// newest first (audit.Entry's JSON form), and Next, the before of the
// following page, null when there are no older entries.
type AuditPage struct {
	Entries []audit.Entry `json:"entries"`
	Next    *uint64       `json:"next"`
}

// NewAuditPage is the answer for entries (never null) and next (null when
// it is 0).
func NewAuditPage(entries []audit.Entry, next uint64) AuditPage {
	p := AuditPage{Entries: entries}
	if p.Entries == nil {
		p.Entries = []audit.Entry{}
	}
	if next != 0 {
		p.Next = &next
	}
	return p
}
