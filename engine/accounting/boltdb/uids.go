package boltdb

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// keyNextUID holds, in the meta bucket, the lowest session uid never given
// to anybody (uint64, big endian): uids are given in increasing order and
// never twice, not even after their user was removed, so that files a
// removed user left (in a shared volume, say) never pass to somebody else.
var keyNextUID = []byte("next_session_uid")

// SessionUID implements accounting.Store: a user's uid is kept in their
// record, given in the same transaction that reads it, so that two starts
// at once get the same one. A uid given under an earlier range stays.
func (s *Store) SessionUID(ctx context.Context, user string, r accounting.UIDRange) (int, error) {
	var uid int
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		uid, err = storedUID(tx, user)
		return err
	})
	if err != nil || uid != 0 {
		if err != nil {
			return 0, fmt.Errorf("giving %s a session uid: %w", user, err)
		}
		return uid, nil
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		users := tx.Bucket(bucketUsers)
		v := users.Get([]byte(user))
		if v == nil {
			return fmt.Errorf("user %w", accounting.ErrNotFound)
		}
		var rec userRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("decoding user: %w", err)
		}
		if rec.UID != 0 {
			uid = rec.UID
			return nil
		}
		meta := tx.Bucket(bucketMeta)
		next := uint64(r.First)
		if b := meta.Get(keyNextUID); len(b) == 8 {
			next = max(next, binary.BigEndian.Uint64(b))
		}
		if next > uint64(r.Last) {
			return fmt.Errorf("%w in %s: every uid up to %d was given already (uids are never given twice): widen sessions.uid_range, or move it above", accounting.ErrNoUID, r, next-1)
		}
		rec.UID = int(next)
		nv, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if err := users.Put([]byte(user), nv); err != nil {
			return err
		}
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], next+1)
		uid = rec.UID
		return meta.Put(keyNextUID, b[:])
	})
	if err != nil {
		return 0, fmt.Errorf("giving %s a session uid: %w", user, err)
	}
	return uid, nil
}

// storedUID is the uid in the user's record, 0 when none was given yet.
func storedUID(tx *bolt.Tx, user string) (int, error) {
	v := tx.Bucket(bucketUsers).Get([]byte(user))
	if v == nil {
		return 0, fmt.Errorf("user %w", accounting.ErrNotFound)
	}
	var rec userRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return 0, fmt.Errorf("decoding user: %w", err)
	}
	return rec.UID, nil
}
