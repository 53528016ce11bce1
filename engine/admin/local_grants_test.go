package admin_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/accounting/csvfile"
	"github.com/simphony/simphony-remote/engine/admin"
)

func TestLocalGrants(t *testing.T) {
	l, _, _, _ := newLocal(t)
	ctx := t.Context()
	if _, err := l.CreateUser(ctx, admin.NewUser{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CreateApplication(ctx, admin.NewApplication{Image: "img"}); err != nil {
		t.Fatal(err)
	}
	vol := accounting.Policy{Volume: accounting.Volume{Source: "/data/", Target: "/data", Mode: "ro"}}
	id, err := l.Grant(ctx, "alice", "img", vol)
	if err != nil || !accounting.IsMappingID(id) {
		t.Fatalf("Grant = %q, %v", id, err)
	}
	tests := []struct {
		name     string
		op       func() error
		sentinel error
		parts    []string
	}{
		{"same grant, same id", func() error {
			again, err := l.Grant(ctx, "alice", "img", accounting.Policy{Volume: accounting.Volume{Source: "/data", Target: "/data", Mode: "ro"}})
			if err == nil && again != id {
				t.Errorf("granting again gave %s, want %s", again, id)
			}
			return err
		}, nil, nil},
		{"volume the host refuses", func() error {
			_, err := l.Grant(ctx, "alice", "img", accounting.Policy{Volume: accounting.Volume{Source: "/etc", Target: "/etc", Mode: "ro"}})
			return err
		}, accounting.ErrInvalid, []string{"granting img to alice", `invalid volume "/etc:/etc:ro"`, "not allowed by the fake"}},
		{"workspace clash", func() error {
			_, err := l.Grant(ctx, "alice", "img", accounting.Policy{AllowHome: true, Volume: accounting.Volume{Source: "/data", Target: "/workspace", Mode: "rw"}})
			return err
		}, accounting.ErrInvalid, []string{"target /workspace is where the home workspace is mounted"}},
		{"unknown user", func() error { _, err := l.Grant(ctx, "nobody", "img", accounting.Policy{}); return err },
			accounting.ErrNotFound, []string{"granting img to nobody", "user nobody: not found"}},
		{"unknown application", func() error { _, err := l.Grant(ctx, "alice", "nope", accounting.Policy{}); return err },
			accounting.ErrNotFound, []string{"granting nope to alice", "application nope: not found"}},
		{"revoke other policy", func() error { return l.Revoke(ctx, "alice", "img", accounting.Policy{AllowHome: true}) },
			accounting.ErrNotFound, []string{"revoking img from alice: no grant with that policy: not found"}},
		{"revoke bad policy", func() error {
			return l.Revoke(ctx, "alice", "img", accounting.Policy{Volume: accounting.Volume{Source: "/data", Target: "/proc", Mode: "ro"}})
		}, accounting.ErrInvalid, []string{"target /proc is a kernel file system"}},
		{"revoke all of unknown user", func() error { _, err := l.RevokeAll(ctx, "nobody", "img"); return err },
			accounting.ErrNotFound, []string{"user nobody: not found"}},
		{"revoke malformed mapping id", func() error { return l.RevokeMapping(ctx, "xyz") },
			accounting.ErrInvalid, []string{`invalid mapping id "xyz": want 32 lowercase hexadecimal digits`}},
		{"revoke unknown mapping id", func() error { return l.RevokeMapping(ctx, strings.Repeat("a", 32)) },
			accounting.ErrNotFound, []string{"grant " + strings.Repeat("a", 32) + ": not found"}},
		{"grants of unknown user", func() error { _, err := l.Grants(ctx, "nobody"); return err },
			accounting.ErrNotFound, []string{"user nobody: not found"}},
		{"limits of unknown application", func() error {
			_, err := l.SetLimits(ctx, "nope", admin.AllLimits(accounting.Limits{Pids: 5}))
			return err
		},
			accounting.ErrNotFound, []string{"application nope: not found"}},
		{"bad limits", func() error {
			_, err := l.SetLimits(ctx, "img", admin.AllLimits(accounting.Limits{CPUs: -2}))
			return err
		},
			accounting.ErrInvalid, []string{"cpus must be from 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.op(), tt.sentinel, tt.parts...)
		})
	}
	grants, err := l.Grants(ctx, "alice")
	if err != nil || len(grants) != 1 || grants[0].MappingID != id || grants[0].Policy.Volume.Source != "/data" {
		t.Fatalf("grants after the refusals: %+v, %v", grants, err)
	}
	users, err := l.Users(ctx, true)
	if err != nil || len(users) != 1 || len(users[0].Grants) != 1 {
		t.Fatalf("Users(with grants) = %+v, %v", users, err)
	}
	app, err := l.SetLimits(ctx, "img", admin.AllLimits(accounting.Limits{Memory: 512 << 20, CPUs: 0.5}))
	if err != nil || app.Limits.Memory != 512<<20 || app.Limits.CPUs != 0.5 {
		t.Errorf("SetLimits = %+v, %v", app, err)
	}
	if err := l.Revoke(ctx, "alice", "img", vol); err != nil {
		t.Fatal(err)
	}
	if grants, err := l.Grants(ctx, "alice"); err != nil || grants == nil || len(grants) != 0 {
		t.Errorf("grants after revoking = %#v, %v; want an empty list", grants, err)
	}
}

func TestLocalBackup(t *testing.T) {
	l, _, _, _ := newLocal(t)
	ctx := t.Context()
	if _, err := l.CreateUser(ctx, admin.NewUser{Name: "alice", Admin: true}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := l.Backup(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copyPath := filepath.Join(dir, "copy.db")
	if err := os.WriteFile(copyPath, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := boltdb.CheckFile(copyPath); err != nil {
		t.Fatalf("the streamed copy does not check: %v", err)
	}
	assertHolds(t, copyPath, "alice")

	// WriteBackup: a checked file, never over an existing one.
	out := filepath.Join(dir, "backup.db")
	if err := admin.WriteBackup(ctx, l, out); err != nil {
		t.Fatal(err)
	}
	assertHolds(t, out, "alice")
	wantErr(t, admin.WriteBackup(ctx, l, out), accounting.ErrExists, "backing up to "+out+": file already exists")

	// A truncated copy is refused, and leaves nothing behind.
	short := filepath.Join(dir, "short.db")
	if err := os.WriteFile(short, buf.Bytes()[:buf.Len()-4096], 0o600); err != nil {
		t.Fatal(err)
	}
	if err := boltdb.CheckFile(short); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("CheckFile(truncated) = %v", err)
	}
	broken := filepath.Join(dir, "broken.db")
	err := admin.WriteBackup(ctx, truncatingService{l}, broken)
	if err == nil || !strings.Contains(err.Error(), "the copy does not check") {
		t.Errorf("WriteBackup of a truncated stream = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("left behind: %v", entries)
	}
}

// truncatingService streams a copy cut short, as a broken transfer would
// without an error.
type truncatingService struct{ *admin.Local }

func (s truncatingService) Backup(ctx context.Context, w io.Writer) error {
	var buf bytes.Buffer
	if err := s.Local.Backup(ctx, &buf); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes()[:buf.Len()-4096])
	return err
}

func assertHolds(t *testing.T, path, user string) {
	t.Helper()
	s, err := boltdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if u, err := s.User(t.Context(), user); err != nil || u.Name != user {
		t.Errorf("%s: user %s = %+v, %v", path, user, u, err)
	}
}

func TestLocalBackupCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.csv")
	if err := os.WriteFile(path, []byte("user.name,application.image\nalice,img\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := csvfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l := admin.NewLocal(s, admin.Options{})
	var buf bytes.Buffer
	wantErr(t, l.Backup(t.Context(), &buf), accounting.ErrReadOnly, "copy the file itself")
	_, err = l.CreateUser(t.Context(), admin.NewUser{Name: "bob"})
	wantErr(t, err, accounting.ErrReadOnly, "creating user bob: read-only backend")
}
