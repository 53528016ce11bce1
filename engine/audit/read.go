package audit

import "context"

// Entries lists the entries of the Log's store as Store.AuditEntries does;
// a nil *Log has none.
func (l *Log) Entries(ctx context.Context, before uint64, limit int) ([]Entry, uint64, error) {
	if l == nil {
		return nil, 0, nil
	}
	return l.store.AuditEntries(ctx, before, Limit(limit))
}
