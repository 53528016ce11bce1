package admin_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/accounting/csvfile"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api"
)

// serveSocket serves the admin API on svc at a unix socket and returns its
// path.
func serveSocket(t *testing.T, svc admin.Service) string {
	t.Helper()
	path := filepath.Join(shortDir(t), "admin.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: api.AdminHandler(svc, zerolog.Nop())}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return path
}

// step is one operation of a scenario; state carries values (mapping ids)
// from one step to the next.
type step struct {
	name string
	do   func(ctx context.Context, svc admin.Service, state map[string]string) (any, error)
}

// outcome is what a step gave, in a form to compare.
type outcome struct {
	result, err string
	matches     []bool // errors.Is for each of sentinels
	hooks       []string
}

var sentinels = []error{accounting.ErrInvalid, accounting.ErrNotFound, accounting.ErrExists, accounting.ErrReadOnly, admin.ErrUnavailable}

var mappingIDs = regexp.MustCompile(`[0-9a-f]{32}`)

// run plays steps on svc, numbering mapping ids by first appearance so that
// two runs compare.
func run(t *testing.T, svc admin.Service, h *hooks, steps []step) []outcome {
	ids := map[string]string{}
	norm := func(s string) string {
		return mappingIDs.ReplaceAllStringFunc(s, func(id string) string {
			if strings.Trim(id, "0") == "" || strings.Trim(id, "a") == "" {
				return id // the made-up ids of the steps
			}
			if _, ok := ids[id]; !ok {
				ids[id] = fmt.Sprintf("ID%d", len(ids)+1)
			}
			return ids[id]
		})
	}
	state := map[string]string{}
	var out []outcome
	for _, s := range steps {
		res, err := s.do(t.Context(), svc, state)
		o := outcome{result: norm(fmt.Sprintf("%#v", res))}
		if err != nil {
			o.err = norm(err.Error())
		}
		for _, sen := range sentinels {
			o.matches = append(o.matches, errors.Is(err, sen))
		}
		if h != nil {
			for _, c := range h.take() {
				o.hooks = append(o.hooks, norm(c))
			}
		}
		out = append(out, o)
	}
	return out
}

// compare plays steps on a Local and on a Client of another Local of the
// same kind, and wants the same outcomes.
func compare(t *testing.T, newSvc func(t *testing.T) (admin.Service, *hooks), steps []step) {
	local, lh := newSvc(t)
	want := run(t, local, lh, steps)
	remote, rh := newSvc(t)
	client := admin.DialSocket(serveSocket(t, remote))
	got := run(t, client, rh, steps)
	for i, s := range steps {
		w, g := want[i], got[i]
		if fmt.Sprint(w) != fmt.Sprint(g) {
			t.Errorf("step %d %s:\nLocal  %+v\nClient %+v", i, s.name, w, g)
		}
	}
}

func TestClientMatchesLocal(t *testing.T) {
	digest := "registry.lab:5000/tool@sha256:" + strings.Repeat("ab", 32)
	vol := accounting.Policy{AllowHome: true, Volume: accounting.Volume{Source: "/srv/data", Target: "/data", Mode: "ro"}}
	none := func(err error) (any, error) { return nil, err }
	steps := []step{
		{"create alice", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.CreateUser(ctx, admin.NewUser{Name: "alice", Password: "correct horse"})
		}},
		{"create bob", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.CreateUser(ctx, admin.NewUser{Name: "bob", Admin: true})
		}},
		{"create Bob", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.CreateUser(ctx, admin.NewUser{Name: "Bob"})
		}},
		{"create empty", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.CreateUser(ctx, admin.NewUser{})
		}},
		{"create alice again", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.CreateUser(ctx, admin.NewUser{Name: "alice"})
		}},
		{"short password", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.CreateUser(ctx, admin.NewUser{Name: "carol", Password: "short"})
		}},
		{"user alice", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.User(ctx, "alice")
		}},
		{"user nobody", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.User(ctx, "nobody")
		}},
		{"user with a slash", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.User(ctx, "a/b")
		}},
		{"make alice admin", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.UpdateUser(ctx, "alice", admin.UserChange{Admin: ptr(true)})
		}},
		{"empty change", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.UpdateUser(ctx, "alice", admin.UserChange{})
		}},
		{"change nobody", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.UpdateUser(ctx, "nobody", admin.UserChange{Disabled: ptr(true)})
		}},
		{"short new password", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.UpdateUser(ctx, "alice", admin.UserChange{Admin: ptr(false), Password: ptr("1234")})
		}},
		{"disable alice, remove her password", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.UpdateUser(ctx, "alice", admin.UserChange{Disabled: ptr(true), Password: ptr("")})
		}},
		{"enable alice", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.UpdateUser(ctx, "alice", admin.UserChange{Disabled: ptr(false), Password: ptr("a new secret")})
		}},
		{"create img", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.CreateApplication(ctx, admin.NewApplication{Image: "img"})
		}},
		{"create verified", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.CreateApplication(ctx, admin.NewApplication{Image: "lab/tool:2.1", Verify: true, Limits: accounting.Limits{Pids: 50}})
		}},
		{"create absent", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.CreateApplication(ctx, admin.NewApplication{Image: "absent:1", Verify: true})
		}},
		{"create bad name", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.CreateApplication(ctx, admin.NewApplication{Image: "Not/An Image"})
		}},
		{"create img again", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.CreateApplication(ctx, admin.NewApplication{Image: "img", Verify: true})
		}},
		{"create by digest", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.CreateApplication(ctx, admin.NewApplication{Image: digest})
		}},
		{"create bad limits", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.CreateApplication(ctx, admin.NewApplication{Image: "big", Limits: accounting.Limits{Memory: 1}})
		}},
		{"application", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Application(ctx, "lab/tool:2.1")
		}},
		{"no application", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Application(ctx, "nope")
		}},
		{"limits", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.SetLimits(ctx, "lab/tool:2.1", admin.AllLimits(accounting.Limits{Memory: 1 << 30, CPUs: 1.5}))
		}},
		{"limits of nothing", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.SetLimits(ctx, "nope", admin.AllLimits(accounting.Limits{}))
		}},
		{"bad limits", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.SetLimits(ctx, "img", admin.AllLimits(accounting.Limits{Pids: -1}))
		}},
		{"create run as root", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.CreateApplication(ctx, admin.NewApplication{Image: "legacy:1", RunAsRoot: true})
		}},
		{"clear run as root", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.SetRunAsRoot(ctx, "legacy:1", false)
		}},
		{"mark run as root", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.SetRunAsRoot(ctx, "img", true)
		}},
		{"run as root of nothing", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.SetRunAsRoot(ctx, "nope", true)
		}},
		{"applications", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Applications(ctx)
		}},
		{"grant", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Grant(ctx, "alice", "img", accounting.Policy{})
		}},
		{"grant again", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Grant(ctx, "alice", "img", accounting.Policy{})
		}},
		{"grant a volume", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Grant(ctx, "alice", "lab/tool:2.1", vol)
		}},
		{"grant a protected volume", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Grant(ctx, "alice", "img", accounting.Policy{Volume: accounting.Volume{Source: "/var", Target: "/v", Mode: "rw"}})
		}},
		{"grant to nobody", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Grant(ctx, "nobody", "img", accounting.Policy{})
		}},
		{"grant by digest", func(ctx context.Context, s admin.Service, st map[string]string) (any, error) {
			id, err := s.Grant(ctx, "bob", digest, accounting.Policy{AllowView: true, AppLicense: "LIC"})
			st["bob"] = id
			return id, err
		}},
		{"grants", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Grants(ctx, "alice")
		}},
		{"grants of nobody", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Grants(ctx, "nobody")
		}},
		{"users", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Users(ctx, false)
		}},
		{"users with grants", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Users(ctx, true)
		}},
		{"revoke no such policy", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return none(s.Revoke(ctx, "alice", "img", accounting.Policy{AllowView: true}))
		}},
		{"revoke", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return none(s.Revoke(ctx, "alice", "img", accounting.Policy{}))
		}},
		{"revoke all", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.RevokeAll(ctx, "alice", "lab/tool:2.1")
		}},
		{"revoke all of nobody", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.RevokeAll(ctx, "nobody", "img")
		}},
		{"revoke mapping xyz", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return none(s.RevokeMapping(ctx, "xyz"))
		}},
		{"revoke empty mapping", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return none(s.RevokeMapping(ctx, ""))
		}},
		{"revoke unknown mapping", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return none(s.RevokeMapping(ctx, strings.Repeat("0", 32)))
		}},
		{"revoke bob's mapping", func(ctx context.Context, s admin.Service, st map[string]string) (any, error) {
			return none(s.RevokeMapping(ctx, st["bob"]))
		}},
		{"backup", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			path := filepath.Join(t.TempDir(), "backup.db")
			if err := admin.WriteBackup(ctx, s, path); err != nil {
				return nil, err
			}
			again := admin.WriteBackup(ctx, s, path) // refused: the file exists
			return backupContents(t, path), fmt.Errorf("%s (%w)", strings.ReplaceAll(again.Error(), path, "FILE"), errors.Unwrap(again))
		}},
		{"remove by digest", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return none(s.RemoveApplication(ctx, digest))
		}},
		{"remove nothing", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return none(s.RemoveApplication(ctx, "nope"))
		}},
		{"remove bob", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return none(s.RemoveUser(ctx, "bob"))
		}},
		{"remove nobody", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return none(s.RemoveUser(ctx, "nobody"))
		}},
		{"remove a/b", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return none(s.RemoveUser(ctx, "a/b"))
		}},
		{"names a path would lose", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			var errs []string
			for _, name := range []string{".", "..", "a/..", "./b", "a//b", "%2e", "a b", "?x=1", "#"} {
				_, err1 := s.User(ctx, name)
				err2 := s.RemoveUser(ctx, name)
				_, err3 := s.UpdateUser(ctx, name, admin.UserChange{Admin: ptr(true)})
				_, err4 := s.UpdateUser(ctx, name, admin.UserChange{Password: ptr("short")})
				_, err5 := s.Application(ctx, name)
				err6 := s.RemoveApplication(ctx, name)
				_, err7 := s.SetLimits(ctx, name, admin.AllLimits(accounting.Limits{}))
				err8 := s.RevokeMapping(ctx, name)
				_, err9 := s.Grants(ctx, name)
				for _, err := range []error{err1, err2, err3, err4, err5, err6, err7, err8, err9} {
					errs = append(errs, fmt.Sprintf("%v %v", err, errors.Is(err, accounting.ErrNotFound)))
				}
			}
			return errs, nil
		}},
		{"applications at the end", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Applications(ctx)
		}},
		{"users at the end", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Users(ctx, true)
		}},
	}
	compare(t, func(t *testing.T) (admin.Service, *hooks) {
		l, _, _, h := newLocal(t, "lab/tool:2.1")
		return l, h
	}, steps)
}

// backupContents describes what a backup holds.
func backupContents(t *testing.T, path string) string {
	s, err := boltdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l := admin.NewLocal(s, admin.Options{})
	users, err := l.Users(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	apps, err := l.Applications(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%+v %+v", users, apps)
}

func TestClientMatchesLocalOnCSV(t *testing.T) {
	steps := []step{
		{"users", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Users(ctx, true)
		}},
		{"create", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.CreateUser(ctx, admin.NewUser{Name: "carol"})
		}},
		{"grant", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Grant(ctx, "alice", "img", accounting.Policy{})
		}},
		{"backup", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return nil, s.Backup(ctx, io.Discard)
		}},
	}
	path := filepath.Join(t.TempDir(), "a.csv")
	if err := os.WriteFile(path, []byte("user.name,application.image,policy.allow_home\nalice,img,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	compare(t, func(t *testing.T) (admin.Service, *hooks) {
		s, err := csvfile.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		return admin.NewLocal(s, admin.Options{}), nil
	}, steps)
}

// failingBackup sends part of a copy, then fails.
type failingBackup struct{ admin.Service }

func (failingBackup) Backup(_ context.Context, w io.Writer) error {
	if _, err := w.Write(bytes.Repeat([]byte{1}, 10000)); err != nil {
		return err
	}
	return errors.New("the disk is on fire")
}

func TestClientBackupCutShort(t *testing.T) {
	c := admin.DialSocket(serveSocket(t, failingBackup{}))
	err := c.Backup(t.Context(), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "copying the database from the admin socket") {
		t.Fatalf("Backup of a broken transfer = %v, want an error", err)
	}
	dir := t.TempDir()
	if err := admin.WriteBackup(t.Context(), c, filepath.Join(dir, "b.db")); err == nil {
		t.Fatal("WriteBackup of a broken transfer succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestClientConnectionErrors(t *testing.T) {
	path := filepath.Join(shortDir(t), "admin.sock")
	_, err := admin.DialSocket(path).Users(t.Context(), false)
	if err == nil || !strings.Contains(err.Error(), "talking to the appliance through the admin socket "+path) {
		t.Errorf("Users without a server = %v", err)
	}
	if _, err := admin.NewClient(http.DefaultClient, "ftp://x"); err == nil {
		t.Error("NewClient accepted ftp://x")
	}
}
