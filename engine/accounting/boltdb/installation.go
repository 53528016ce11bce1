package boltdb

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// keyInstallation holds the database's installation id in the meta bucket.
var keyInstallation = []byte("installation_id")

// newInstallationID is the migration step that gives a database its
// installation id: created with the file (or at the first start of a
// version that has ids), never changed after, and carried by backups.
func newInstallationID(tx *bolt.Tx) error {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24).
	return tx.Bucket(bucketMeta).Put(keyInstallation, []byte(hex.EncodeToString(b[:])))
}

// InstallationID is the id of the installation this database belongs to
// (16 hex digits). Every container the appliance starts carries it, and the
// appliance removes no container with another, so that two appliances on
// one Docker Engine cannot harm each other.
func (s *Store) InstallationID() (string, error) {
	var id string
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(keyInstallation)
		if len(v) == 0 {
			return fmt.Errorf("the database %s has no installation id", s.Path())
		}
		id = string(v)
		return nil
	})
	return id, err
}
