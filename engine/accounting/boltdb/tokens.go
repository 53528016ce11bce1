package boltdb

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/simphony/simphony-remote/engine/auth"
)

// bucketTokens holds API tokens: id → auth.Token (with the secret's hash).
var bucketTokens = []byte("tokens")

// PutTokens implements auth.TokenStore, in one transaction.
func (s *Store) PutTokens(ctx context.Context, tokens ...auth.Token) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		for _, t := range tokens {
			v, err := json.Marshal(t)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(t.ID), v); err != nil {
				return fmt.Errorf("storing an API token: %w", err)
			}
		}
		return nil
	})
}

// DeleteTokens implements auth.TokenStore; missing ones are ignored.
func (s *Store) DeleteTokens(ctx context.Context, ids ...string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		for _, id := range ids {
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Tokens implements auth.TokenStore.
func (s *Store) Tokens(ctx context.Context) ([]auth.Token, error) {
	var out []auth.Token
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTokens).ForEach(func(_, v []byte) error {
			var t auth.Token
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("decoding an API token: %w", err)
			}
			out = append(out, t)
			return nil
		})
	})
	return out, err
}

var _ auth.TokenStore = (*Store)(nil)
