package admin_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/volumes"
	"github.com/simphony/simphony-remote/engine/volumes/volumestest"
)

// The host's rules for volumes apply to every grant, whichever front end
// asks: the in-process service and its client over the admin socket.
func TestGrantChecksVolumesOnTheHost(t *testing.T) {
	top := volumestest.Root(t)
	root := volumestest.Dir(t, top, "root")
	ok := volumestest.Dir(t, root, "ok")
	outside := volumestest.Dir(t, top, "outside")
	if err := os.Symlink(ok, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	group := volumestest.Dir(t, root, "group")
	others := volumestest.Dir(t, root, "others")
	yours := volumestest.Dir(t, root, "yours")
	for p, mode := range map[string]os.FileMode{group: 0o775, others: 0o757} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(yours, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	checker := volumes.New(volumes.Options{AllowedRoots: []string{root}})

	tests := []struct {
		name  string
		vol   string
		parts []string // nil: granted
	}{
		{"allowed", ok + ":/data:ro", nil},
		{"outside the allowed roots", outside + ":/data:ro", []string{outside + " is not under an allowed root (" + root + ")"}},
		{"host /etc", "/etc:/etc:ro", []string{"/etc is not under an allowed root"}},
		{"symbolic link", root + "/link:/data:ro", []string{root + "/link is a symbolic link"}},
		{"group-writable", group + ":/data:rw", []string{group + " is writable by group"}},
		{"writable by others", others + ":/data:rw", []string{others + " is writable by others"}},
		{"not root's", yours + ":/data:rw", []string{yours + " is owned by uid 1000, not root"}},
		{"target /proc", ok + ":/proc:ro", []string{"target /proc is a kernel file system"}},
		{"target /dev", ok + ":/dev:ro", []string{"target /dev is a kernel file system"}},
		{"target /sys", ok + ":/sys:ro", []string{"target /sys is a kernel file system"}},
		{"target under /dev", ok + ":/dev/shm:rw", []string{"target /dev/shm is inside /dev"}},
	}
	for _, front := range []string{"local", "admin socket"} {
		t.Run(front, func(t *testing.T) {
			s := newStore(t)
			var svc admin.Service = admin.NewLocal(s, admin.Options{Volumes: checker})
			if front == "admin socket" {
				svc = admin.DialSocket(serveSocket(t, svc))
			}
			ctx := t.Context()
			if _, err := svc.CreateUser(ctx, admin.NewUser{Name: "alice"}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.CreateApplication(ctx, admin.NewApplication{Image: "img"}); err != nil {
				t.Fatal(err)
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					// Not ParseVolume: the service must apply the policy rules itself.
					parts := strings.Split(tt.vol, ":")
					v := accounting.Volume{Source: parts[0], Target: parts[1], Mode: parts[2]}
					_, err := svc.Grant(ctx, "alice", "img", accounting.Policy{Volume: v})
					if tt.parts == nil {
						wantErr(t, err, nil)
						return
					}
					wantErr(t, err, accounting.ErrInvalid, append([]string{"granting img to alice", `invalid volume "` + tt.vol + `"`}, tt.parts...)...)
				})
			}
			grants, err := s.Grants(ctx, "alice")
			if err != nil || len(grants) != 1 || grants[0].Policy.Volume.Source != ok {
				t.Errorf("grants after the refusals = %+v, %v; want the allowed one only", grants, err)
			}
		})
	}
}

// Without allowed roots, no volume is granted.
func TestGrantWithoutVolumeRoots(t *testing.T) {
	s := newStore(t)
	l := admin.NewLocal(s, admin.Options{})
	ctx := t.Context()
	if _, err := l.CreateUser(ctx, admin.NewUser{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CreateApplication(ctx, admin.NewApplication{Image: "img"}); err != nil {
		t.Fatal(err)
	}
	_, err := l.Grant(ctx, "alice", "img", accounting.Policy{Volume: accounting.Volume{Source: "/srv/data", Target: "/data", Mode: "ro"}})
	wantErr(t, err, accounting.ErrInvalid, "granting img to alice", "no volume may be mounted: no allowed roots are configured ([volumes] allowed_roots)")
	if _, err := l.Grant(ctx, "alice", "img", accounting.Policy{AllowHome: true}); err != nil {
		t.Errorf("a grant without a volume: %v", err)
	}
	// A grant stored before the rules (or before the host changed) can
	// still be revoked.
	old := accounting.Policy{Volume: accounting.Volume{Source: "/etc", Target: "/etc", Mode: "ro"}}
	if _, err := s.Grant(ctx, "alice", "img", old); err != nil {
		t.Fatal(err)
	}
	if err := l.Revoke(ctx, "alice", "img", old); err != nil {
		t.Errorf("revoking a grant of a volume no longer allowed: %v", err)
	}
}
