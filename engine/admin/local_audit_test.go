package admin_test

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/audit"
)

// newAuditedLocal is newLocal that records in the store's audit log.
func newAuditedLocal(t *testing.T, images ...string) (*admin.Local, *hooks) {
	t.Helper()
	s := newStore(t)
	h := &hooks{}
	return admin.NewLocal(s, admin.Options{Images: newFakeImages(images...), Revoker: h, Sessions: h, Volumes: fakeVolumes{},
		Audit: s, Log: audit.NewLog(s, zerolog.Nop())}), h
}

// TestLocalRecords runs every change, and failures of each, and wants
// exactly one entry for each, by the actor of the context.
func TestLocalRecords(t *testing.T) {
	l, h := newAuditedLocal(t, "lab/tool:2.1")
	ctx := audit.WithActor(t.Context(), audit.Actor{Name: "root", Address: "192.0.2.9"})
	var mapping string
	zero := strings.Repeat("0", 32)
	vol := accounting.Policy{AllowHome: true, Volume: accounting.Volume{Source: "/data", Target: "/data", Mode: "ro"}}
	tests := []struct {
		name   string
		do     func() error
		action string
		target string
		result string
		detail string // a regular expression the whole detail matches
	}{
		{"create user", func() error {
			_, err := l.CreateUser(ctx, admin.NewUser{Name: "alice", Admin: true, Password: "correct horse"})
			return err
		}, "user.create", "alice", "ok", `admin=true, password set`},
		{"create user again", func() error {
			_, err := l.CreateUser(ctx, admin.NewUser{Name: "alice"})
			return err
		}, "user.create", "alice", "failed", `admin=false; creating user alice: user already exists`},
		{"create bad name", func() error {
			_, err := l.CreateUser(ctx, admin.NewUser{Name: "Bob"})
			return err
		}, "user.create", "Bob", "failed", `admin=false; creating user: invalid user name "Bob".*`},
		{"create with short password", func() error {
			_, err := l.CreateUser(ctx, admin.NewUser{Name: "carol", Password: "sh0rt"})
			return err
		}, "user.create", "carol", "failed", `admin=false, password set; creating user carol: invalid password: .*`},
		{"update user", func() error {
			_, err := l.UpdateUser(ctx, "alice", admin.UserChange{Admin: ptr(false), Disabled: ptr(true), Password: ptr("a new secret")})
			return err
		}, "user.update", "alice", "ok", `admin=false, disabled=true, password changed`},
		{"remove password", func() error {
			_, err := l.UpdateUser(ctx, "alice", admin.UserChange{Password: ptr("")})
			return err
		}, "user.update", "alice", "ok", `password removed`},
		{"update nobody", func() error {
			_, err := l.UpdateUser(ctx, "nobody", admin.UserChange{Disabled: ptr(false)})
			return err
		}, "user.update", "nobody", "failed", `disabled=false; changing user: user nobody: not found`},
		{"empty update", func() error {
			_, err := l.UpdateUser(ctx, "alice", admin.UserChange{})
			return err
		}, "user.update", "alice", "failed", `changing user alice: invalid change.*`},
		{"short new password", func() error {
			_, err := l.UpdateUser(ctx, "alice", admin.UserChange{Password: ptr("qwz")})
			return err
		}, "user.update", "alice", "failed", `password changed; setting the password of alice: invalid password: .*`},
		{"create application", func() error {
			_, err := l.CreateApplication(ctx, admin.NewApplication{Image: "img", Limits: accounting.Limits{Memory: 1 << 30, CPUs: 1.5}})
			return err
		}, "application.create", "img", "ok", `memory 1GiB, cpus 1.5, pids default`},
		{"create verified application", func() error {
			_, err := l.CreateApplication(ctx, admin.NewApplication{Image: "lab/tool:2.1", Verify: true})
			return err
		}, "application.create", "lab/tool:2.1", "ok", `memory default, cpus default, pids default; image verified`},
		{"create absent application", func() error {
			_, err := l.CreateApplication(ctx, admin.NewApplication{Image: "absent:1", Verify: true})
			return err
		}, "application.create", "absent:1", "failed", `.*; image verified; the Docker Engine at .* has no image absent:1.*`},
		{"set limits", func() error {
			_, err := l.SetLimits(ctx, "img", admin.AllLimits(accounting.Limits{Pids: 100}))
			return err
		}, "application.limits", "img", "ok", `memory default, cpus default, pids 100`},
		{"set limits of nothing", func() error {
			_, err := l.SetLimits(ctx, "nope", admin.AllLimits(accounting.Limits{}))
			return err
		}, "application.limits", "nope", "failed", `.*application nope: not found`},
		{"grant", func() (err error) {
			mapping, err = l.Grant(ctx, "alice", "img", vol)
			return err
		}, "grant.create", "img for alice", "ok", `mapping [0-9a-f]{32}: allow_home, volume /data:/data:ro`},
		{"grant with a licence", func() error {
			_, err := l.Grant(ctx, "alice", "img", accounting.Policy{AllowView: true, AppLicense: "KEY-123"})
			return err
		}, "grant.create", "img for alice", "ok", `mapping [0-9a-f]{32}: allow_view, app_license set`},
		{"grant to nobody", func() error {
			_, err := l.Grant(ctx, "nobody", "img", accounting.Policy{})
			return err
		}, "grant.create", "img for nobody", "failed", `plain policy; .*nobody.*not found`},
		{"revoke a missing grant", func() error {
			return l.Revoke(ctx, "alice", "img", accounting.Policy{AllowStartupData: true})
		}, "grant.revoke", "img for alice", "failed", `allow_startup_data; .*`},
		{"revoke", func() error {
			return l.Revoke(ctx, "alice", "img", vol)
		}, "grant.revoke", "img for alice", "ok", `allow_home, volume /data:/data:ro`},
		{"grant again", func() (err error) {
			mapping, err = l.Grant(ctx, "alice", "img", accounting.Policy{})
			return err
		}, "grant.create", "img for alice", "ok", `mapping [0-9a-f]{32}: plain policy`},
		{"revoke mapping", func() error {
			return l.RevokeMapping(ctx, mapping)
		}, "grant.revoke", "MAPPING", "ok", `img for alice: plain policy`},
		{"revoke missing mapping", func() error {
			return l.RevokeMapping(ctx, zero)
		}, "grant.revoke", zero, "failed", `.*not found.*`},
		{"revoke bad mapping", func() error {
			return l.RevokeMapping(ctx, "xyz")
		}, "grant.revoke", "xyz", "failed", `revoking a grant: invalid mapping id "xyz".*`},
		{"revoke all", func() error {
			_, err := l.RevokeAll(ctx, "alice", "img")
			return err
		}, "grant.revoke", "img for alice", "ok", `all grants: 1 revoked`},
		{"revoke all of nobody", func() error {
			_, err := l.RevokeAll(ctx, "nobody", "img")
			return err
		}, "grant.revoke", "img for nobody", "failed", `all grants; .*not found`},
		{"backup", func() error {
			return l.Backup(ctx, io.Discard)
		}, "backup", "database", "ok", `[0-9]+ bytes`},
		{"backup to a broken writer", func() error {
			return l.Backup(ctx, brokenWriter{})
		}, "backup", "database", "failed", `copying the database: .*broken pipe.*`},
		{"remove application", func() error {
			return l.RemoveApplication(ctx, "img")
		}, "application.remove", "img", "ok", ``},
		{"remove application again", func() error {
			return l.RemoveApplication(ctx, "img")
		}, "application.remove", "img", "failed", `.*not found`},
		{"remove user", func() error {
			return l.RemoveUser(ctx, "alice")
		}, "user.remove", "alice", "ok", ``},
		{"remove user again", func() error {
			return l.RemoveUser(ctx, "alice")
		}, "user.remove", "alice", "failed", `.*not found`},
	}
	var last uint64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if (err == nil) != (tt.result == "ok") {
				t.Fatalf("error %v, want result %s", err, tt.result)
			}
			entries, _, aerr := l.Audit(ctx, audit.Query{Limit: audit.MaxLimit})
			if aerr != nil {
				t.Fatal(aerr)
			}
			var added []audit.Entry
			for _, e := range entries {
				if e.ID > last {
					added = append(added, e)
				}
			}
			if len(added) != 1 {
				t.Fatalf("%d entries added, want 1: %+v", len(added), added)
			}
			e := added[0]
			last = e.ID
			target := tt.target
			if target == "MAPPING" {
				target = mapping
			}
			if e.Action != tt.action || e.Target != target || e.Result != tt.result || e.Actor != "root" || e.Address != "192.0.2.9" {
				t.Errorf("entry %+v, want %s %s %s by root at 192.0.2.9", e, tt.action, target, tt.result)
			}
			if !regexp.MustCompile(`^(?:` + tt.detail + `)$`).MatchString(e.Detail) {
				t.Errorf("detail %q, want /%s/", e.Detail, tt.detail)
			}
		})
	}
	_ = h.take()

	// Reading records nothing.
	_, _ = l.Users(ctx, true)
	_, _ = l.User(ctx, "nobody")
	_, _ = l.Applications(ctx)
	_, _ = l.Application(ctx, "img")
	_, _ = l.Grants(ctx, "alice")
	all, next, err := l.Audit(ctx, audit.Query{Limit: audit.MaxLimit})
	if err != nil || next != 0 || len(all) != len(tests) {
		t.Fatalf("%d entries (next %d, %v), want %d", len(all), next, err, len(tests))
	}
	// No secret ever reaches the log.
	for _, e := range all {
		s := e.Detail + e.Target
		for _, secret := range []string{"correct horse", "a new secret", "sh0rt", "qwz", "KEY-123", "$argon2id"} {
			if strings.Contains(s, secret) {
				t.Errorf("entry %d shows %q: %+v", e.ID, secret, e)
			}
		}
	}
}

type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// TestLocalRecordsFollowUpFailures: a change whose follow-up failed was
// made, so it is recorded as done, with what failed in the detail.
func TestLocalRecordsFollowUpFailures(t *testing.T) {
	l, h := newAuditedLocal(t)
	ctx := t.Context()
	if _, err := l.CreateUser(ctx, admin.NewUser{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	h.err = errors.New("docker is down")
	var fu *admin.FollowUpError
	if err := l.RemoveUser(ctx, "alice"); !errors.As(err, &fu) {
		t.Fatalf("RemoveUser = %v, want a FollowUpError", err)
	}
	entries, _, _ := l.Audit(ctx, audit.Query{Limit: 1})
	if len(entries) != 1 {
		t.Fatalf("entries %+v", entries)
	}
	e := entries[0]
	if e.Action != "user.remove" || e.Result != "ok" || e.Actor != "system" ||
		!strings.Contains(e.Detail, "but ") || !strings.Contains(e.Detail, "docker is down") {
		t.Errorf("entry %+v", e)
	}
}

func TestLocalAudit(t *testing.T) {
	l, _ := newAuditedLocal(t)
	ctx := t.Context()
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		if _, err := l.CreateUser(ctx, admin.NewUser{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	var targets []string
	for before, n := uint64(0), 0; n < 10; n++ {
		page, next, err := l.Audit(ctx, audit.Query{Before: before, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			targets = append(targets, e.Target)
		}
		if next == 0 {
			break
		}
		before = next
	}
	if got := strings.Join(targets, ","); got != "e,d,c,b,a" {
		t.Errorf("paged through %s, want e,d,c,b,a", got)
	}
	if page, _, err := l.Audit(ctx, audit.Query{}); err != nil || len(page) != 5 {
		t.Errorf("limit 0: %d entries, %v", len(page), err)
	}

	// Without an audit log: ErrUnavailable, and changes still work.
	bare := admin.NewLocal(newStore(t), admin.Options{})
	_, _, err := bare.Audit(ctx, audit.Query{Limit: 10})
	wantErr(t, err, admin.ErrUnavailable, "no audit log")
	if _, err := bare.CreateUser(ctx, admin.NewUser{Name: "a"}); err != nil {
		t.Errorf("a change without a Log: %v", err)
	}
}

// TestLocalRecordsCancelled: a cancelled request is still recorded.
func TestLocalRecordsCancelled(t *testing.T) {
	l, _ := newAuditedLocal(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := l.CreateUser(ctx, admin.NewUser{Name: "alice"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateUser on a cancelled context: %v", err)
	}
	entries, _, _ := l.Audit(t.Context(), audit.Query{Limit: 10})
	if len(entries) != 1 || entries[0].Result != "failed" {
		t.Errorf("entries %+v, want one failed user.create", entries)
	}
}
