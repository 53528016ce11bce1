package boltdb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// Import implements accounting.Importer: the whole batch in one
// transaction, or nothing.
func (s *Store) Import(ctx context.Context, b accounting.Batch) error {
	now := s.now().UTC()
	err := s.update(ctx, func(tx *bolt.Tx) error {
		users := tx.Bucket(bucketUsers)
		for _, name := range b.Users {
			if err := accounting.ValidateUserName(name); err != nil {
				return err
			}
			if users.Get([]byte(name)) != nil {
				return fmt.Errorf("user %s: %w", name, accounting.ErrExists)
			}
			rec, err := json.Marshal(userRecord{Created: now})
			if err != nil {
				return err
			}
			if err := users.Put([]byte(name), rec); err != nil {
				return err
			}
		}
		for _, image := range b.Applications {
			if err := accounting.ValidateImage(image); err != nil {
				return err
			}
			if name, v := findApp(tx, image); v != nil {
				return fmt.Errorf("application %s: %w as %s", image, accounting.ErrExists, name)
			}
			rec, err := json.Marshal(appRecord{Created: now})
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketApplications).Put([]byte(image), rec); err != nil {
				return err
			}
		}
		for _, g := range b.Grants {
			if err := putGrant(tx, g, now); err != nil {
				return fmt.Errorf("grant %s of %s to %s: %w", g.MappingID, g.Image, g.User, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("importing: %w", err)
	}
	return nil
}

// putGrant adds a new grant under its own mapping id.
func putGrant(tx *bolt.Tx, g accounting.Grant, now time.Time) error {
	if !accounting.IsMappingID(g.MappingID) {
		return &accounting.InvalidError{What: "mapping id", Value: g.MappingID, Rule: "want 32 lowercase hexadecimal digits"}
	}
	if err := g.Policy.Validate(); err != nil {
		return err
	}
	p := g.Policy.Canonical()
	image, err := mustExist(tx, g.User, g.Image)
	if err != nil {
		return err
	}
	grants := tx.Bucket(bucketGrants)
	if grants.Get([]byte(g.MappingID)) != nil {
		return fmt.Errorf("mapping id %w", accounting.ErrExists)
	}
	key := grantKey(g.User, image, p)
	keys := tx.Bucket(bucketGrantKeys)
	if id := keys.Get(key); id != nil {
		return fmt.Errorf("the same grant %w as mapping id %s", accounting.ErrExists, id)
	}
	rec, err := json.Marshal(grantRecord{User: g.User, Image: image, Policy: toPolicyRecord(p), Created: now})
	if err != nil {
		return err
	}
	if err := grants.Put([]byte(g.MappingID), rec); err != nil {
		return err
	}
	if err := keys.Put(key, []byte(g.MappingID)); err != nil {
		return err
	}
	return tx.Bucket(bucketUserGrants).Put(userGrantKey(g.User, g.MappingID), nil)
}

var _ accounting.Importer = (*Store)(nil)
