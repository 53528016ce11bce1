package boltdb

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// A migration takes the file from schema version i to i+1, where i is its
// index in migrations. A new schema appends a step; steps are never edited
// once released.
type migration struct {
	name string
	up   func(tx *bolt.Tx) error
}

var migrations = []migration{
	{"create the accounting buckets", func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketUsers, bucketApplications, bucketGrants, bucketGrantKeys, bucketUserGrants} {
			if _, err := tx.CreateBucket(b); err != nil {
				return fmt.Errorf("creating bucket %s: %w", b, err)
			}
		}
		return nil
	}},
	{"create the login sessions bucket", func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket(bucketLogins)
		return err
	}},
	{"create the audit log bucket", func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bucketAudit); return err }},
	{"create the API tokens and shares buckets", func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucket(bucketTokens); err != nil {
			return err
		}
		_, err := tx.CreateBucket(bucketShares)
		return err
	}},
	{"give the database an installation id", newInstallationID},
}

// SchemaVersion is the schema version this build writes.
var SchemaVersion = uint64(len(migrations))

var keySchemaVersion = []byte("schema_version")

// schemaVersion reads the stored version; a new, empty file is version 0.
func schemaVersion(tx *bolt.Tx) (uint64, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, nil
	}
	v := meta.Get(keySchemaVersion)
	if len(v) != 8 {
		return 0, fmt.Errorf("the schema version record is damaged (%d bytes)", len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// migrate brings the file up to len(steps), one transaction per step, the
// version bump in the same transaction as the step. A file newer than this
// build is refused rather than misread.
func migrate(db *bolt.DB, steps []migration) error {
	latest := uint64(len(steps))
	var current uint64
	err := db.View(func(tx *bolt.Tx) error {
		var err error
		current, err = schemaVersion(tx)
		return err
	})
	if err != nil {
		return err
	}
	if current > latest {
		return fmt.Errorf("the database has schema version %d, but this build of simphony-remote knows versions up to %d: upgrade simphony-remote", current, latest)
	}
	for v := current; v < latest; v++ {
		step := steps[v]
		err := db.Update(func(tx *bolt.Tx) error {
			meta, err := tx.CreateBucketIfNotExists(bucketMeta)
			if err != nil {
				return err
			}
			if err := step.up(tx); err != nil {
				return err
			}
			var b [8]byte
			binary.BigEndian.PutUint64(b[:], v+1)
			return meta.Put(keySchemaVersion, b[:])
		})
		if err != nil {
			return fmt.Errorf("upgrading the schema from version %d to %d (%s): %w", v, v+1, step.name, err)
		}
	}
	return nil
}
