package admin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
)

// WriteBackup writes the copy of the database that svc streams to path: into
// a temporary file next to it first, which is checked as a bbolt database
// and then linked into place. An existing file at path is never
// overwritten, and on failure nothing is left behind.
func WriteBackup(ctx context.Context, svc Service, path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("backing up to %s: file %w", path, accounting.ErrExists)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("backing up to %s: %w", path, err)
	}
	defer func() {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
	}()
	if err := svc.Backup(ctx, tmp); err != nil {
		return fmt.Errorf("backing up to %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("backing up to %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("backing up to %s: %w", path, err)
	}
	if err := boltdb.CheckFile(tmp.Name()); err != nil {
		return fmt.Errorf("backing up to %s: the copy does not check: %w", path, err)
	}
	// A hard link puts the file in place atomically and fails if path exists.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("backing up to %s: file %w", path, accounting.ErrExists)
		}
		return fmt.Errorf("backing up to %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
