package admin_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/docker"
)

func ptr[T any](v T) *T { return &v }

// wantErr checks err against a sentinel (nil: no error) and message parts.
func wantErr(t *testing.T, err, sentinel error, parts ...string) {
	t.Helper()
	if sentinel == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v, want one matching %v", err, sentinel)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

func TestLocalCreateUser(t *testing.T) {
	l, s, _, h := newLocal(t)
	ctx := t.Context()
	if _, err := l.CreateUser(ctx, admin.NewUser{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		u        admin.NewUser
		sentinel error
		parts    []string
	}{
		{"plain", admin.NewUser{Name: "bob"}, nil, nil},
		{"admin with password", admin.NewUser{Name: "carol", Admin: true, Password: "correct horse"}, nil, nil},
		{"upper case", admin.NewUser{Name: "Dave"}, accounting.ErrInvalid, []string{`invalid user name "Dave"`, "upper-case letter 'D'"}},
		{"empty", admin.NewUser{}, accounting.ErrInvalid, []string{`invalid user name ""`, "it is empty"}},
		{"short password", admin.NewUser{Name: "erin", Password: "short"}, accounting.ErrInvalid, []string{"creating user erin: invalid password", "use at least 8"}},
		{"password with line break", admin.NewUser{Name: "erin", Password: "long enough\nbut two lines"}, accounting.ErrInvalid, []string{"line break"}},
		{"exists", admin.NewUser{Name: "alice"}, accounting.ErrExists, []string{"creating user alice: user already exists"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := l.CreateUser(ctx, tt.u)
			wantErr(t, err, tt.sentinel, tt.parts...)
			if err != nil {
				if tt.u.Password != "" && strings.Contains(err.Error(), tt.u.Password) {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			want := admin.User{Name: tt.u.Name, Admin: tt.u.Admin, HasPassword: tt.u.Password != ""}
			if fmt.Sprint(u) != fmt.Sprint(want) {
				t.Errorf("created %+v, want %+v", u, want)
			}
		})
	}
	names := func() (out []string) {
		users, err := l.Users(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			out = append(out, u.Name)
		}
		return out
	}
	if got := names(); !slices.Equal(got, []string{"alice", "bob", "carol"}) {
		t.Errorf("users %v, want alice bob carol: a refused user was created", got)
	}
	stored, err := s.User(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.VerifyPassword(stored.PasswordHash, "correct horse"); err != nil {
		t.Errorf("the stored hash does not verify the password: %v", err)
	}
	if calls := h.take(); len(calls) != 0 {
		t.Errorf("creating users called hooks: %v", calls)
	}
}

func TestLocalUpdateUser(t *testing.T) {
	tests := []struct {
		name     string
		user     string
		change   admin.UserChange
		sentinel error
		parts    []string
		want     admin.User // after the change (or unchanged, on error)
		hooks    []string
	}{
		{"make admin", "alice", admin.UserChange{Admin: ptr(true)}, nil, nil,
			admin.User{Name: "alice", Admin: true, HasPassword: true}, nil},
		{"disable", "alice", admin.UserChange{Disabled: ptr(true)}, nil, nil,
			admin.User{Name: "alice", Disabled: true, HasPassword: true}, []string{"sign out alice"}},
		{"enable", "alice", admin.UserChange{Disabled: ptr(false)}, nil, nil,
			admin.User{Name: "alice", HasPassword: true}, nil},
		{"new password", "alice", admin.UserChange{Password: ptr("another secret")}, nil, nil,
			admin.User{Name: "alice", HasPassword: true}, []string{"sign out alice"}},
		{"remove password", "alice", admin.UserChange{Password: ptr("")}, nil, nil,
			admin.User{Name: "alice"}, []string{"sign out alice"}},
		{"all at once", "alice", admin.UserChange{Admin: ptr(true), Disabled: ptr(true), Password: ptr("another secret")}, nil, nil,
			admin.User{Name: "alice", Admin: true, Disabled: true, HasPassword: true}, []string{"sign out alice"}},
		{"nothing", "alice", admin.UserChange{}, accounting.ErrInvalid, []string{"give at least one of admin, disabled and password"},
			admin.User{Name: "alice", HasPassword: true}, nil},
		{"short password with admin", "alice", admin.UserChange{Admin: ptr(true), Password: ptr("1234")}, accounting.ErrInvalid,
			[]string{"setting the password of alice: invalid password", "use at least 8"},
			admin.User{Name: "alice", HasPassword: true}, nil},
		{"unknown user", "nobody", admin.UserChange{Admin: ptr(true)}, accounting.ErrNotFound, []string{"user nobody: not found"},
			admin.User{Name: "alice", HasPassword: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, s, _, h := newLocal(t)
			ctx := t.Context()
			if _, err := l.CreateUser(ctx, admin.NewUser{Name: "alice", Password: "first secret"}); err != nil {
				t.Fatal(err)
			}
			got, err := l.UpdateUser(ctx, tt.user, tt.change)
			wantErr(t, err, tt.sentinel, tt.parts...)
			if err == nil && fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("UpdateUser returned %+v, want %+v", got, tt.want)
			}
			now, err := l.User(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(now) != fmt.Sprint(tt.want) {
				t.Errorf("alice is %+v, want %+v", now, tt.want)
			}
			if calls := h.take(); !slices.Equal(calls, tt.hooks) {
				t.Errorf("hooks %q, want %q", calls, tt.hooks)
			}
			if tt.sentinel == nil && tt.change.Password != nil && *tt.change.Password != "" {
				u, _ := s.User(ctx, "alice")
				if err := auth.VerifyPassword(u.PasswordHash, *tt.change.Password); err != nil {
					t.Errorf("the new password does not verify: %v", err)
				}
			}
		})
	}
}

// TestLocalHooks checks that the hooks run after each removal, with the
// right user or grants, and not after a refused one.
func TestLocalHooks(t *testing.T) {
	type fixture struct {
		l                *admin.Local
		plain, home, bob string // mapping ids: alice's two grants of img, bob's
		other            string // alice's grant of other
	}
	setup := func(t *testing.T) (fixture, *hooks) {
		l, _, _, h := newLocal(t)
		ctx := t.Context()
		for _, u := range []string{"alice", "bob"} {
			if _, err := l.CreateUser(ctx, admin.NewUser{Name: u}); err != nil {
				t.Fatal(err)
			}
		}
		for _, a := range []string{"img", "other"} {
			if _, err := l.CreateApplication(ctx, admin.NewApplication{Image: a}); err != nil {
				t.Fatal(err)
			}
		}
		grant := func(user, image string, p accounting.Policy) string {
			id, err := l.Grant(ctx, user, image, p)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		f := fixture{l: l,
			plain: grant("alice", "img", accounting.Policy{}),
			home:  grant("alice", "img", accounting.Policy{AllowHome: true}),
			bob:   grant("bob", "img", accounting.Policy{}),
			other: grant("alice", "other", accounting.Policy{}),
		}
		h.take()
		return f, h
	}
	tests := []struct {
		name  string
		op    func(t *testing.T, f fixture) error
		hooks func(f fixture) []string // nil: none
	}{
		{"remove user", func(t *testing.T, f fixture) error { return f.l.RemoveUser(t.Context(), "alice") },
			func(fixture) []string { return []string{"sign out alice", "stop user alice"} }},
		{"remove unknown user", func(t *testing.T, f fixture) error { return f.l.RemoveUser(t.Context(), "nobody") }, nil},
		{"remove application", func(t *testing.T, f fixture) error { return f.l.RemoveApplication(t.Context(), "img") },
			func(f fixture) []string {
				ids := []string{"stop mapping " + f.plain, "stop mapping " + f.home, "stop mapping " + f.bob}
				slices.Sort(ids)
				return ids
			}},
		{"remove unknown application", func(t *testing.T, f fixture) error { return f.l.RemoveApplication(t.Context(), "nope") }, nil},
		{"revoke exact", func(t *testing.T, f fixture) error {
			return f.l.Revoke(t.Context(), "alice", "img", accounting.Policy{AllowHome: true})
		}, func(f fixture) []string { return []string{"stop mapping " + f.home} }},
		{"revoke no such policy", func(t *testing.T, f fixture) error {
			return f.l.Revoke(t.Context(), "alice", "img", accounting.Policy{AllowView: true})
		}, nil},
		{"revoke all", func(t *testing.T, f fixture) error {
			n, err := f.l.RevokeAll(t.Context(), "alice", "img")
			if err == nil && n != 2 {
				t.Errorf("RevokeAll = %d, want 2", n)
			}
			return err
		}, func(f fixture) []string {
			ids := []string{"stop mapping " + f.plain, "stop mapping " + f.home}
			slices.Sort(ids)
			return ids
		}},
		{"revoke mapping", func(t *testing.T, f fixture) error { return f.l.RevokeMapping(t.Context(), f.bob) },
			func(f fixture) []string { return []string{"stop mapping " + f.bob} }},
		{"revoke unknown mapping", func(t *testing.T, f fixture) error {
			return f.l.RevokeMapping(t.Context(), strings.Repeat("0", 32))
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, h := setup(t)
			err := tt.op(t, f)
			if tt.hooks == nil {
				if err == nil {
					t.Fatal("the operation succeeded, want an error")
				}
				if calls := h.take(); len(calls) != 0 {
					t.Errorf("a refused operation called hooks: %q", calls)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			calls := h.take()
			slices.Sort(calls)
			if want := tt.hooks(f); !slices.Equal(calls, want) {
				t.Errorf("hooks %q, want %q", calls, want)
			}
		})
	}
}

// TestLocalHookFailure: the change stands, and the error says so without
// matching any accounting error.
func TestLocalHookFailure(t *testing.T) {
	l, _, _, h := newLocal(t)
	ctx := t.Context()
	if _, err := l.CreateUser(ctx, admin.NewUser{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	h.err = fmt.Errorf("the session manager is gone: %w", accounting.ErrNotFound)
	err := l.RemoveUser(ctx, "alice")
	var fe *admin.FollowUpError
	if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "removed user alice, but signing alice out: ") {
		t.Fatalf("RemoveUser error %v, want a FollowUpError", err)
	}
	for _, sentinel := range []error{accounting.ErrNotFound, accounting.ErrInvalid, accounting.ErrExists, accounting.ErrReadOnly} {
		if errors.Is(err, sentinel) {
			t.Errorf("the follow-up error matches %v", sentinel)
		}
	}
	if _, err := l.User(ctx, "alice"); !errors.Is(err, accounting.ErrNotFound) {
		t.Errorf("alice is still there after a failed follow-up: %v", err)
	}
}

func TestLocalCreateApplication(t *testing.T) {
	unreachable := fmt.Errorf("looking up image x: %w at unix:///nowhere: connection refused", docker.ErrUnreachable)
	tests := []struct {
		name     string
		app      admin.NewApplication
		dockerEr error // the checker's answer for every image, if set
		sentinel error
		parts    []string
		asked    []string
	}{
		{"unverified", admin.NewApplication{Image: "lab/tool:2.1"}, nil, nil, nil, nil},
		{"verified", admin.NewApplication{Image: "present:1", Verify: true}, nil, nil, nil, []string{"present:1"}},
		{"with limits", admin.NewApplication{Image: "big", Limits: accounting.Limits{Memory: 1 << 30, CPUs: 2, Pids: 100}}, nil, nil, nil, nil},
		{"missing image", admin.NewApplication{Image: "absent:1", Verify: true}, nil, accounting.ErrInvalid,
			[]string{"the Docker Engine at unix:///fake/docker.sock has no image absent:1", "--no-verify"}, []string{"absent:1"}},
		{"docker unreachable", admin.NewApplication{Image: "x", Verify: true}, unreachable, admin.ErrUnavailable,
			[]string{"cannot check image x", "unreachable at unix:///nowhere", "start Docker", "--no-verify"}, []string{"x"}},
		{"docker fails", admin.NewApplication{Image: "x", Verify: true}, errors.New("docker client: bad host"), admin.ErrUnavailable,
			[]string{"cannot check image x: docker client: bad host; or skip the check with --no-verify"}, []string{"x"}},
		{"exists, so no check", admin.NewApplication{Image: "img", Verify: true}, nil, accounting.ErrExists,
			[]string{"creating application img: application already exists"}, nil},
		{"exists unverified", admin.NewApplication{Image: "img"}, nil, accounting.ErrExists,
			[]string{"creating application img: application already exists"}, nil},
		{"bad name, so no check", admin.NewApplication{Image: "Not/An Image", Verify: true}, nil, accounting.ErrInvalid,
			[]string{`invalid image name "Not/An Image"`, "not a Docker image reference"}, nil},
		{"bad limits", admin.NewApplication{Image: "new", Limits: accounting.Limits{Memory: 1024}, Verify: true}, nil, accounting.ErrInvalid,
			[]string{"invalid limits", "at least 6MiB"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _, fi, _ := newLocal(t, "present:1")
			fi.err = tt.dockerEr
			ctx := t.Context()
			if _, err := l.CreateApplication(ctx, admin.NewApplication{Image: "img"}); err != nil {
				t.Fatal(err)
			}
			before, _ := l.Applications(ctx)
			a, err := l.CreateApplication(ctx, tt.app)
			wantErr(t, err, tt.sentinel, tt.parts...)
			if asked := fi.questions(); !slices.Equal(asked, tt.asked) {
				t.Errorf("Docker was asked about %q, want %q", asked, tt.asked)
			}
			after, _ := l.Applications(ctx)
			if err != nil {
				if len(after) != len(before) {
					t.Errorf("a refused application was created: %v", after)
				}
				return
			}
			want := accounting.Application{Image: tt.app.Image, Limits: tt.app.Limits}
			if a != want {
				t.Errorf("created %+v, want %+v", a, want)
			}
			if got, err := l.Application(ctx, tt.app.Image); err != nil || got != want {
				t.Errorf("stored %+v, %v; want %+v", got, err, want)
			}
		})
	}
}

func TestLocalWithoutImageChecker(t *testing.T) {
	l := admin.NewLocal(newStore(t), admin.Options{})
	_, err := l.CreateApplication(t.Context(), admin.NewApplication{Image: "x", Verify: true})
	wantErr(t, err, admin.ErrUnavailable, "cannot check image x: no Docker Engine is configured", "--no-verify")
	// No hooks, no trouble.
	ctx := t.Context()
	if _, err := l.CreateUser(ctx, admin.NewUser{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	if err := l.RemoveUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
}
