package admin

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/audit"
)

// Audit implements Service.
func (c *Client) Audit(ctx context.Context, before uint64, limit int) ([]audit.Entry, uint64, error) {
	q := url.Values{"limit": {strconv.Itoa(audit.Limit(limit))}}
	if before != 0 {
		q.Set("before", strconv.FormatUint(before, 10))
	}
	var page wire.AuditPage
	if err := c.do(ctx, http.MethodGet, "/audit", q, nil, &page, http.StatusOK); err != nil {
		return nil, 0, err
	}
	var next uint64
	if page.Next != nil {
		next = *page.Next
	}
	if page.Entries == nil {
		page.Entries = []audit.Entry{}
	}
	return page.Entries, next, nil
}
