package boltdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// Backup writes a consistent copy of the database to path while the store
// stays in use (a read transaction sees one snapshot). The copy is checked
// before it appears at path; an existing file at path is never overwritten,
// and on failure nothing is left behind.
func (s *Store) Backup(ctx context.Context, path string) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("backing up to %s: file %w", path, accounting.ErrExists)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("backing up to %s: %w", path, err)
	}
	defer func() {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
	}()
	if err := s.db.View(func(tx *bolt.Tx) error {
		_, err := tx.WriteTo(tmp)
		return err
	}); err != nil {
		return fmt.Errorf("backing up to %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("backing up to %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("backing up to %s: %w", path, err)
	}
	if err := checkFile(tmp.Name()); err != nil {
		return fmt.Errorf("backing up to %s: the copy does not check: %w", path, err)
	}
	// A hard link puts the file in place atomically and fails if path exists.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("backing up to %s: file %w", path, accounting.ErrExists)
		}
		return fmt.Errorf("backing up to %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

func checkFile(path string) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(check)
}

// Check verifies the file's pages and that the indexes agree with the grants.
func (s *Store) Check(ctx context.Context) error {
	return s.view(ctx, check)
}

func check(tx *bolt.Tx) error {
	if err := checkPages(tx); err != nil {
		return err
	}
	v, err := schemaVersion(tx)
	if err != nil {
		return err
	}
	if v != SchemaVersion {
		return fmt.Errorf("schema version %d, want %d", v, SchemaVersion)
	}
	return checkIndexes(tx)
}

// checkPages verifies bbolt's own structure: pages, free list, buckets.
func checkPages(tx *bolt.Tx) error {
	// Drain the channel: the checker goroutine holds the transaction until
	// it has sent every error.
	var first error
	for err := range tx.Check() {
		if first == nil {
			first = fmt.Errorf("bbolt: %w", err)
		}
	}
	return first
}

// checkIndexes verifies that the grant indexes agree with the grants, in a
// file of schema version 1 (which made these buckets) or later.
func checkIndexes(tx *bolt.Tx) error {
	users, apps := tx.Bucket(bucketUsers), tx.Bucket(bucketApplications)
	keys, byUser := tx.Bucket(bucketGrantKeys), tx.Bucket(bucketUserGrants)
	grants := tx.Bucket(bucketGrants)
	n := 0
	err := grants.ForEach(func(k, v []byte) error {
		n++
		g, err := decodeGrant(k, v)
		if err != nil {
			return err
		}
		if !accounting.IsMappingID(g.MappingID) {
			return fmt.Errorf("grant key %q is not a mapping id", k)
		}
		if users.Get([]byte(g.User)) == nil {
			return fmt.Errorf("grant %s names missing user %s", k, g.User)
		}
		if apps.Get([]byte(g.Image)) == nil {
			return fmt.Errorf("grant %s names missing application %s", k, g.Image)
		}
		if id := keys.Get(grantKey(g.User, g.Image, g.Policy)); !bytes.Equal(id, k) {
			return fmt.Errorf("grant %s: content index points to %q", k, id)
		}
		if byUser.Get(userGrantKey(g.User, g.MappingID)) == nil {
			return fmt.Errorf("grant %s: missing from the user index", k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if kn, un := keys.Stats().KeyN, byUser.Stats().KeyN; kn != n || un != n {
		return fmt.Errorf("%d grants but %d content index entries and %d user index entries", n, kn, un)
	}
	return nil
}
