package boltdb

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/accountingtest"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
)

// TestRestoreKeepsOwner: a restore run as root (sudo) leaves a database
// owned by the service's user, who owned the file it replaces, and keeps
// that old file as it was.
func TestRestoreKeepsOwner(t *testing.T) {
	dockertest.RequireRoot(t, "to give the database to another user")
	ctx := t.Context()
	dir := t.TempDir()
	path := create(t, accountingtest.Fixture)
	s, err := Open(path)
	must(t, err)
	backup := filepath.Join(dir, "backup.db")
	must(t, s.Backup(ctx, backup))
	must(t, s.CreateUser(ctx, accounting.User{Name: "later"}))
	must(t, s.Close())
	const uid, gid = 4242, 4343
	must(t, os.Chown(path, uid, gid))

	res, err := Restore(ctx, backup, path)
	must(t, err)
	if res.Version != SchemaVersion || filepath.Dir(res.KeptAs) != filepath.Dir(path) {
		t.Errorf("Restore = %+v", res)
	}
	for _, p := range []string{path, res.KeptAs} {
		info, err := os.Stat(p)
		must(t, err)
		st := info.Sys().(*syscall.Stat_t)
		if st.Uid != uid || st.Gid != gid || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: owner %d:%d, mode %v; want %d:%d, 0600", p, st.Uid, st.Gid, info.Mode().Perm(), uid, gid)
		}
	}
	restored, err := Open(path)
	must(t, err)
	defer restored.Close()
	if _, err := restored.User(ctx, "later"); err == nil {
		t.Error("the restored database has the user created after the backup")
	}
	kept, err := Open(res.KeptAs)
	must(t, err)
	defer kept.Close()
	if _, err := kept.User(ctx, "later"); err != nil {
		t.Errorf("the database kept aside lost its last user: %v", err)
	}
}
