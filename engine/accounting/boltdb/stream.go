package boltdb

import (
	"context"
	"fmt"
	"io"
	"os"

	bolt "go.etcd.io/bbolt"
)

// WriteSnapshot writes a consistent copy of the whole database file to w
// while the store stays in use: one read transaction sees one snapshot. It
// stops with ctx's error when ctx ends. The bytes written form a valid bbolt
// file; CheckFile verifies one.
func (s *Store) WriteSnapshot(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(ctxWriter{ctx: ctx, w: w})
		return err
	})
	return n, err
}

// ctxWriter fails its writes once ctx has ended, so that a long copy stops.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// CheckFile opens the bbolt file at path read-only and verifies it as
// Check does: its pages, its schema version, and that the indexes agree
// with the grants. A file shorter than its own meta page says (a truncated
// copy) is refused before any page past its end is read.
func CheckFile(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("checking %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if err != nil {
		return fmt.Errorf("checking %s: %w", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		if want := tx.Size(); info.Size() < want {
			return fmt.Errorf("the file is truncated: %d bytes, its meta page says %d", info.Size(), want)
		}
		return check(tx)
	})
	if err != nil {
		return fmt.Errorf("checking %s: %w", path, err)
	}
	return nil
}
