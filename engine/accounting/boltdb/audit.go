package boltdb

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/simphony/simphony-remote/engine/audit"
)

// bucketAudit holds the audit log: id (uint64, big endian, from the
// bucket's sequence) → audit.Entry (JSON). Keys sort by id, oldest first.
var bucketAudit = []byte("audit")

func auditKey(id uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], id)
	return k[:]
}

// AppendAudit implements audit.Store: the entry, and the removal of the
// oldest beyond audit.MaxEntries, in one transaction.
func (s *Store) AppendAudit(ctx context.Context, e audit.Entry) (uint64, error) {
	var id uint64
	err := s.update(ctx, func(tx *bolt.Tx) error {
		var err error
		id, err = appendAudit(tx.Bucket(bucketAudit), e, audit.MaxEntries)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("recording %s in the audit log: %w", e.Action, err)
	}
	return id, nil
}

// appendAudit stores e under the bucket's next sequence number and drops
// the entries that are keep or more older than it.
func appendAudit(b *bolt.Bucket, e audit.Entry, keep uint64) (uint64, error) {
	id, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	e.ID = id
	v, err := json.Marshal(e)
	if err != nil {
		return 0, err
	}
	if err := b.Put(auditKey(id), v); err != nil {
		return 0, err
	}
	if id <= keep {
		return id, nil
	}
	// Ids are sequential and only the oldest are ever deleted: usually
	// this drops one entry.
	oldest := id - keep // and every id below it
	c := b.Cursor()
	for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= oldest; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// AuditEntries implements audit.Store.
func (s *Store) AuditEntries(ctx context.Context, before uint64, limit int) ([]audit.Entry, uint64, error) {
	limit = audit.Limit(limit)
	out := make([]audit.Entry, 0, min(limit, 64))
	var next uint64
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		var k, v []byte
		if before == 0 {
			k, v = c.Last()
		} else if k, _ = c.Seek(auditKey(before)); k == nil {
			k, v = c.Last() // every id is below before
		} else {
			k, v = c.Prev()
		}
		for ; k != nil; k, v = c.Prev() {
			if len(out) == limit {
				next = out[len(out)-1].ID
				return nil
			}
			var e audit.Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decoding audit entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			e.ID = binary.BigEndian.Uint64(k)
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("reading the audit log: %w", err)
	}
	return out, next, nil
}

var _ audit.Store = (*Store)(nil)
