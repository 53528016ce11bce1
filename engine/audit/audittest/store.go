// Package audittest is an audit.Store in memory, for the tests of the
// packages that record events (the appliance keeps its entries in bbolt).
package audittest

import (
	"context"
	"slices"
	"sync"

	"github.com/simphony/simphony-remote/engine/audit"
)

// Store keeps entries in memory, without a retention limit. The zero
// Store is ready to use. Err, when set (before the Store is shared), fails
// every append.
type Store struct {
	mu      sync.Mutex
	entries []audit.Entry
	last    uint64
	Err     error
}

// AppendAudit implements audit.Store.
func (s *Store) AppendAudit(_ context.Context, e audit.Entry) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return 0, s.Err
	}
	s.last++
	e.ID = s.last
	s.entries = append(s.entries, e)
	return e.ID, nil
}

// AuditEntries implements audit.Store.
func (s *Store) AuditEntries(_ context.Context, before uint64, limit int) ([]audit.Entry, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	limit = audit.Limit(limit)
	out := []audit.Entry{}
	for i := len(s.entries) - 1; i >= 0; i-- {
		e := s.entries[i]
		if before != 0 && e.ID >= before {
			continue
		}
		if len(out) == limit {
			return out, out[len(out)-1].ID, nil
		}
		out = append(out, e)
	}
	return out, 0, nil
}

// Entries returns every entry, oldest first.
func (s *Store) Entries() []audit.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.entries)
}

// Take returns the entries so far, oldest first, and forgets them (ids
// keep growing).
func (s *Store) Take() []audit.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries
	s.entries = nil
	return e
}

var _ audit.Store = (*Store)(nil)
