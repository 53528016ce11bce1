package admin

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/audit"
)

// Audit implements Service.
func (c *Client) Audit(ctx context.Context, aq audit.Query) ([]audit.Entry, uint64, error) {
	q := url.Values{"limit": {strconv.Itoa(audit.Limit(aq.Limit))}}
	if aq.Before != 0 {
		q.Set("before", strconv.FormatUint(aq.Before, 10))
	}
	for k, v := range map[string]string{"user": aq.User, "action": aq.Action} {
		if v != "" {
			q.Set(k, v)
		}
	}
	for k, t := range map[string]time.Time{"from": aq.From, "to": aq.To} {
		if !t.IsZero() {
			q.Set(k, t.UTC().Format(time.RFC3339Nano))
		}
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
