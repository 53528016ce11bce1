package boltdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrNewerSchema means a file was written by a newer simphony-remote than
// this one.
var ErrNewerSchema = errors.New("the file was written by a newer simphony-remote")

// Restored says what Restore did.
type Restored struct {
	// Version is the backup's schema version; a version below
	// SchemaVersion is upgraded when the database is next opened.
	Version uint64
	// KeptAs is where the database the backup replaced now is; empty when
	// there was none.
	KeptAs string
}

// Restore replaces the database file at path with the backup at backup,
// as written by a backup (WriteSnapshot, Store.Backup). It refuses with
// ErrLocked while another process (the appliance) holds the database, and
// checks the backup before touching anything: a bbolt file whose pages and
// indexes check, of a schema version this build knows (an older one is
// upgraded at the next open; a newer one is refused with ErrNewerSchema).
//
// The copy is written and synced next to path, then renamed over it, so
// that path always holds either the old database or the whole backup. The
// old database stays, as path.before-restore-TIMESTAMP (Restored.KeptAs).
// On failure the old database is untouched and nothing new is left behind.
func Restore(ctx context.Context, backup, path string) (Restored, error) {
	if err := ctx.Err(); err != nil {
		return Restored{}, err
	}
	fail := func(err error) (Restored, error) {
		return Restored{}, fmt.Errorf("restoring %s from %s: %w", path, backup, err)
	}
	old, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	case err != nil:
		return fail(err)
	default:
		defer old.Close()
		// The appliance holds an exclusive lock on its database while it
		// runs (bbolt's flock); holding ours keeps it from starting on the
		// old file while it is replaced.
		if err := syscall.Flock(int(old.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return fail(ErrLocked)
			}
			return fail(fmt.Errorf("locking the database: %w", err))
		}
	}

	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".restore-*")
	if err != nil {
		return fail(err)
	}
	defer func() {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
	}()
	if err := copyFile(ctx, tmp, backup); err != nil {
		return fail(err)
	}
	// The restored file belongs to whoever owned the old one (the
	// service's user) or, without one, the directory, not to whoever runs
	// the command (root).
	like := old
	if like == nil {
		if like, err = os.Open(dir); err != nil {
			return fail(err)
		}
		defer like.Close()
	}
	if err := sameOwner(tmp, like); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	// Check the copy itself: it is what takes the database's place.
	version, err := checkBackup(tmp.Name())
	if err != nil {
		return fail(fmt.Errorf("the backup %s: %w", backup, err))
	}

	res := Restored{Version: version}
	if old != nil {
		// A second name for the old file keeps it once the copy takes its
		// place; until the rename, path still names it.
		if res.KeptAs, err = linkAside(path, time.Now()); err != nil {
			return fail(fmt.Errorf("keeping the old database aside: %w", err))
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		if res.KeptAs != "" {
			_ = os.Remove(res.KeptAs)
		}
		return fail(err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return res, nil
}

func copyFile(ctx context.Context, dst io.Writer, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(ctxWriter{ctx: ctx, w: dst}, f)
	return err
}

// sameOwner gives f the owner and group of like.
func sameOwner(f, like *os.File) error {
	want, err := like.Stat()
	if err != nil {
		return err
	}
	got, err := f.Stat()
	if err != nil {
		return err
	}
	w, ok1 := want.Sys().(*syscall.Stat_t)
	g, ok2 := got.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 || (w.Uid == g.Uid && w.Gid == g.Gid) {
		return nil
	}
	if err := f.Chown(int(w.Uid), int(w.Gid)); err != nil {
		return fmt.Errorf("giving the restored file the owner of %s (uid %d, gid %d): %w: run this as that user or as root", like.Name(), w.Uid, w.Gid, err)
	}
	return nil
}

// linkAside gives the file at path a second name,
// path.before-restore-TIMESTAMP, and returns it.
func linkAside(path string, now time.Time) (string, error) {
	base := path + ".before-restore-" + now.UTC().Format("20060102T150405Z")
	aside := base
	for i := 2; ; i++ {
		err := os.Link(path, aside)
		if err == nil {
			return aside, nil
		}
		if !errors.Is(err, fs.ErrExist) || i > 100 {
			return "", err
		}
		aside = fmt.Sprintf("%s-%d", base, i)
	}
}

// checkBackup verifies the bbolt file at path as a database to restore:
// its pages, a schema version this build knows (returned), and, for a file
// that has grants, that the indexes agree with them.
func checkBackup(path string) (version uint64, err error) {
	// bbolt panics on some damaged pages it reads; the file is untrusted.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the file is damaged: %v", r)
		}
	}()
	info, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if err != nil {
		return 0, fmt.Errorf("not a simphony-remote database: %w", err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		if want := tx.Size(); info.Size() < want {
			return fmt.Errorf("the file is truncated: %d bytes, its meta page says %d", info.Size(), want)
		}
		if err := checkPages(tx); err != nil {
			return err
		}
		if version, err = schemaVersion(tx); err != nil {
			return err
		}
		switch {
		case version > SchemaVersion:
			return fmt.Errorf("%w: it has schema version %d, this simphony-remote knows versions up to %d: restore it with the newer simphony-remote that wrote it", ErrNewerSchema, version, SchemaVersion)
		case version == 0:
			return errors.New("not a simphony-remote database: it has no schema version")
		}
		return checkIndexes(tx)
	})
	return version, err
}
