package boltdb

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/simphony/simphony-remote/engine/auth"
)

// bucketLogins holds login sessions: SHA-256 of the secret → auth.Login.
var bucketLogins = []byte("logins")

// PutLogins implements auth.LoginStore, in one transaction.
func (s *Store) PutLogins(ctx context.Context, logins ...auth.Login) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLogins)
		for _, l := range logins {
			v, err := json.Marshal(l)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(l.IDHash), v); err != nil {
				return fmt.Errorf("storing a login session: %w", err)
			}
		}
		return nil
	})
}

// DeleteLogins implements auth.LoginStore; missing ones are ignored.
func (s *Store) DeleteLogins(ctx context.Context, idHashes ...string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLogins)
		for _, id := range idHashes {
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Logins implements auth.LoginStore.
func (s *Store) Logins(ctx context.Context) ([]auth.Login, error) {
	var out []auth.Login
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketLogins).ForEach(func(k, v []byte) error {
			var l auth.Login
			if err := json.Unmarshal(v, &l); err != nil {
				return fmt.Errorf("decoding login session: %w", err)
			}
			out = append(out, l)
			return nil
		})
	})
	return out, err
}

var _ auth.LoginStore = (*Store)(nil)
