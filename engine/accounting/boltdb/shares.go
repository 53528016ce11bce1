package boltdb

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/simphony/simphony-remote/engine/shares"
)

// bucketShares holds shares of running sessions: url id "/" user → Share.
var bucketShares = []byte("shares")

func shareKey(urlID, user string) []byte { return []byte(urlID + "/" + user) }

// PutShares implements shares.Store, in one transaction.
func (s *Store) PutShares(ctx context.Context, list ...shares.Share) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketShares)
		for _, sh := range list {
			v, err := json.Marshal(sh)
			if err != nil {
				return err
			}
			if err := b.Put(shareKey(sh.URLID, sh.User), v); err != nil {
				return fmt.Errorf("storing a share: %w", err)
			}
		}
		return nil
	})
}

// DeleteShares implements shares.Store; missing ones are ignored.
func (s *Store) DeleteShares(ctx context.Context, keys ...shares.Key) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketShares)
		for _, k := range keys {
			if err := b.Delete(shareKey(k.URLID, k.User)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Shares implements shares.Store.
func (s *Store) Shares(ctx context.Context) ([]shares.Share, error) {
	var out []shares.Share
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketShares).ForEach(func(_, v []byte) error {
			var sh shares.Share
			if err := json.Unmarshal(v, &sh); err != nil {
				return fmt.Errorf("decoding a share: %w", err)
			}
			out = append(out, sh)
			return nil
		})
	})
	return out, err
}

var _ shares.Store = (*Store)(nil)
