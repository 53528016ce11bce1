package accountingtest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// SpellingFixture holds applications stored under spellings other than the
// ones the tests look them up with, as databases written by earlier versions
// (or by hand, for CSV) may: every lookup finds an application under any
// spelling of its image (accounting.SameImage).
var SpellingFixture = []FixtureGrant{
	{"alice", "docker.io/lab/tool", accounting.Policy{AllowHome: true}},
	{"bob", "docker.io/lab/tool", accounting.Policy{}},
	{"alice", "x:latest", accounting.Policy{}},
}

func testSpellingReads(t *testing.T, b Backend) {
	ctx := t.Context()
	s, _ := open(t, b, SpellingFixture)
	apps, err := s.Applications(ctx)
	if want := []accounting.Application{{Image: "docker.io/lab/tool"}, {Image: "x:latest"}}; err != nil || !reflect.DeepEqual(apps, want) {
		t.Errorf("Applications() = %+v, %v; want %+v", apps, err, want)
	}
	for _, tt := range []struct{ lookup, want string }{
		{"docker.io/lab/tool", "docker.io/lab/tool"},
		{"lab/tool", "docker.io/lab/tool"},
		{"lab/tool:latest", "docker.io/lab/tool"},
		{"docker.io/lab/tool:latest", "docker.io/lab/tool"},
		{"x", "x:latest"},
		{"docker.io/library/x", "x:latest"},
		{"library/x:latest", "x:latest"},
		{"lab/tool:2", ""},
		{"tool", ""},
		{"x:1", ""},
	} {
		a, err := s.Application(ctx, tt.lookup)
		switch {
		case tt.want == "" && !errors.Is(err, accounting.ErrNotFound):
			t.Errorf("Application(%s) = %+v, %v; want ErrNotFound", tt.lookup, a, err)
		case tt.want != "" && (err != nil || a.Image != tt.want):
			t.Errorf("Application(%s) = %+v, %v; want %s", tt.lookup, a, err, tt.want)
		}
	}
}

// spellingCases are writes that name SpellingFixture's applications under
// other spellings; ids are its mapping ids.
var spellingCases = []writeCase{
	{
		name: "create an existing image under another spelling",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.CreateApplication(ctx, accounting.Application{Image: "lab/tool:latest"})
		},
		wantErr: accounting.ErrExists,
	},
	{
		name: "create an official image under its long spelling",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.CreateApplication(ctx, accounting.Application{Image: "docker.io/library/x"})
		},
		wantErr: accounting.ErrExists,
	},
	{
		name: "another tag is another application",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.CreateApplication(ctx, accounting.Application{Image: "lab/tool:2"})
		},
		check: func(t *testing.T, _ accounting.Store, _, after snapshot, _ []string) {
			if got, want := after.images(), []string{"docker.io/lab/tool", "lab/tool:2", "x:latest"}; !reflect.DeepEqual(got, want) {
				t.Errorf("applications = %v, want %v", got, want)
			}
		},
	},
	{
		name: "grant under another spelling is the same grant",
		do: func(ctx context.Context, s accounting.Store, ids []string) error {
			for i, image := range []string{"lab/tool", "lab/tool:latest", "docker.io/library/x"} {
				f := SpellingFixture[i]
				id, err := s.Grant(ctx, f.User, image, f.Policy)
				if err != nil {
					return err
				}
				if id != ids[i] {
					return fmt.Errorf("granting %s to %s returned %s, want the existing grant %s", image, f.User, id, ids[i])
				}
			}
			return nil
		},
		check: func(t *testing.T, _ accounting.Store, before, after snapshot, _ []string) {
			if !reflect.DeepEqual(before, after) {
				t.Errorf("store changed: %+v, was %+v", after, before)
			}
		},
	},
	{
		name: "a new grant under another spelling names the stored image",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			_, err := s.Grant(ctx, "bob", "docker.io/library/x", accounting.Policy{AllowView: true})
			return err
		},
		check: func(t *testing.T, _ accounting.Store, _, after snapshot, _ []string) {
			gs := after.Grants["bob"]
			if len(gs) != 2 || gs[1].Image != "x:latest" {
				t.Errorf("bob's grants = %+v, want a second one of x:latest", gs)
			}
		},
	},
	{
		name: "revoke under another spelling",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.Revoke(ctx, "alice", "lab/tool:latest", accounting.Policy{AllowHome: true})
		},
		check: func(t *testing.T, _ accounting.Store, before, after snapshot, ids []string) {
			if got, want := after.grantIDs(), without(before.grantIDs(), ids[0]); !reflect.DeepEqual(got, want) {
				t.Errorf("grants = %v, want %v", got, want)
			}
		},
	},
	{
		name: "revoke all under another spelling",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			n, err := s.RevokeAll(ctx, "bob", "lab/tool")
			if err == nil && n != 1 {
				return fmt.Errorf("RevokeAll reported %d grants, want 1", n)
			}
			return err
		},
		check: func(t *testing.T, _ accounting.Store, before, after snapshot, ids []string) {
			if got, want := after.grantIDs(), without(before.grantIDs(), ids[1]); !reflect.DeepEqual(got, want) {
				t.Errorf("grants = %v, want %v", got, want)
			}
		},
	},
	{
		name: "limits under another spelling",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.SetLimits(ctx, "lab/tool:latest", accounting.Limits{Pids: 7})
		},
		check: func(t *testing.T, s accounting.Store, _, _ snapshot, _ []string) {
			a, err := s.Application(t.Context(), "docker.io/lab/tool")
			if want := (accounting.Application{Image: "docker.io/lab/tool", Limits: accounting.Limits{Pids: 7}}); err != nil || a != want {
				t.Errorf("Application = %+v, %v; want %+v", a, err, want)
			}
		},
	},
	{
		name: "remove under another spelling",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.RemoveApplication(ctx, "lab/tool")
		},
		check: func(t *testing.T, _ accounting.Store, _, after snapshot, ids []string) {
			if got := after.images(); !reflect.DeepEqual(got, []string{"x:latest"}) {
				t.Errorf("applications = %v, want [x:latest]", got)
			}
			if got := after.grantIDs(); !reflect.DeepEqual(got, []string{ids[2]}) {
				t.Errorf("grants = %v, want only %s", got, ids[2])
			}
		},
	},
	{
		name: "another tag is not found",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			_, err := s.Grant(ctx, "alice", "lab/tool:2", accounting.Policy{})
			return err
		},
		wantErr: accounting.ErrNotFound,
	},
}
