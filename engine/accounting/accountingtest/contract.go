// Package accountingtest is the contract every accounting.Store backend
// passes: the same tests run against bbolt and CSV, a read-only backend
// answering every write with accounting.ErrReadOnly and no change.
package accountingtest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// FixtureGrant is one grant a fixture store starts with.
type FixtureGrant struct {
	User, Image string
	Policy      accounting.Policy
}

// Fixture is what every contract test starts from: two users, two
// applications and four grants.
var Fixture = []FixtureGrant{
	{"alice", "img-a", accounting.Policy{AllowHome: true}},
	{"alice", "img-a", accounting.Policy{AllowView: true, Volume: accounting.Volume{Source: "/data", Target: "/data", Mode: "ro"}}},
	{"alice", "img-b", accounting.Policy{}},
	{"bob", "img-b", accounting.Policy{AppLicense: "LIC-42", AllowStartupData: true}},
}

// Backend opens stores of one implementation.
type Backend struct {
	// Create writes a new store holding exactly the given grants (with their
	// users and applications) and returns its path.
	Create func(t *testing.T, grants []FixtureGrant) string
	// Open opens the store at path; the test closes it.
	Open func(t *testing.T, path string) accounting.Store
	// ReadOnly backends must answer every write with ErrReadOnly.
	ReadOnly bool
}

// Run runs the contract against b.
func Run(t *testing.T, b Backend) {
	t.Run("Read", func(t *testing.T) { testRead(t, b) })
	t.Run("StableIDs", func(t *testing.T) { testStableIDs(t, b) })
	t.Run("SessionUIDs", func(t *testing.T) { testSessionUIDs(t, b) })
	t.Run("Writes", func(t *testing.T) { testWrites(t, b, Fixture, writeCases) })
	t.Run("ImageSpellings", func(t *testing.T) {
		testSpellingReads(t, b)
		testWrites(t, b, SpellingFixture, spellingCases)
	})
}

func open(t *testing.T, b Backend, fixture []FixtureGrant) (accounting.Store, []string) {
	t.Helper()
	s := b.Open(t, b.Create(t, fixture))
	t.Cleanup(func() { _ = s.Close() })
	ids := make([]string, len(fixture))
	for i, f := range fixture {
		ids[i] = idOf(t, s, f)
	}
	return s, ids
}

// idOf finds the mapping id of a fixture grant by its content.
func idOf(t *testing.T, s accounting.Store, f FixtureGrant) string {
	t.Helper()
	gs, err := s.Grants(t.Context(), f.User)
	if err != nil {
		t.Fatalf("Grants(%s): %v", f.User, err)
	}
	for _, g := range gs {
		if g.Image == f.Image && g.Policy == f.Policy {
			return g.MappingID
		}
	}
	t.Fatalf("no grant of %s to %s with policy %+v among %+v", f.Image, f.User, f.Policy, gs)
	return ""
}

func testRead(t *testing.T, b Backend) {
	ctx := t.Context()
	s, ids := open(t, b, Fixture)

	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []accounting.User{{Name: "alice"}, {Name: "bob"}}; !reflect.DeepEqual(users, want) {
		t.Errorf("Users() = %+v, want %+v", users, want)
	}
	apps, err := s.Applications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []accounting.Application{{Image: "img-a"}, {Image: "img-b"}}; !reflect.DeepEqual(apps, want) {
		t.Errorf("Applications() = %+v, want %+v", apps, want)
	}
	if a, err := s.Application(ctx, "img-b"); err != nil || a != (accounting.Application{Image: "img-b"}) {
		t.Errorf("Application(img-b) = %+v, %v", a, err)
	}
	if _, err := s.Application(ctx, "nope"); !errors.Is(err, accounting.ErrNotFound) {
		t.Errorf("Application(nope) error = %v, want ErrNotFound", err)
	}
	if u, err := s.User(ctx, "bob"); err != nil || u.Name != "bob" {
		t.Errorf("User(bob) = %+v, %v", u, err)
	}
	if _, err := s.User(ctx, "nobody"); !errors.Is(err, accounting.ErrNotFound) {
		t.Errorf("User(nobody) error = %v, want ErrNotFound", err)
	}
	if _, err := s.Grants(ctx, "nobody"); !errors.Is(err, accounting.ErrNotFound) {
		t.Errorf("Grants(nobody) error = %v, want ErrNotFound", err)
	}

	seen := map[string]bool{}
	for i, f := range Fixture {
		id := ids[i]
		if !accounting.IsMappingID(id) {
			t.Errorf("mapping id %q is not 32 lowercase hex digits", id)
		}
		if seen[id] {
			t.Errorf("mapping id %s used twice", id)
		}
		seen[id] = true
		g, err := s.GrantByID(ctx, id)
		want := accounting.Grant{MappingID: id, User: f.User, Image: f.Image, Policy: f.Policy}
		if err != nil || g != want {
			t.Errorf("GrantByID(%s) = %+v, %v; want %+v", id, g, err, want)
		}
	}
	if _, err := s.GrantByID(ctx, accounting.NewMappingID()); !errors.Is(err, accounting.ErrNotFound) {
		t.Errorf("GrantByID(unknown) error = %v, want ErrNotFound", err)
	}

	alice, err := s.Grants(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(alice) != 3 {
		t.Fatalf("Grants(alice) has %d grants, want 3: %+v", len(alice), alice)
	}
	sorted := slices.IsSortedFunc(alice, func(a, b accounting.Grant) int {
		if a.Image != b.Image {
			return compare(a.Image, b.Image)
		}
		return compare(a.MappingID, b.MappingID)
	})
	if !sorted {
		t.Errorf("Grants(alice) not sorted by image, then mapping id: %+v", alice)
	}
	bob, err := s.Grants(ctx, "bob")
	if err != nil || len(bob) != 1 || bob[0].MappingID != ids[3] {
		t.Errorf("Grants(bob) = %+v, %v; want the one grant %s", bob, err, ids[3])
	}
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testStableIDs(t *testing.T, b Backend) {
	path := b.Create(t, Fixture)
	read := func() []string {
		s := b.Open(t, path)
		defer s.Close()
		var ids []string
		for _, f := range Fixture {
			ids = append(ids, idOf(t, s, f))
		}
		return ids
	}
	first, second := read(), read()
	if !reflect.DeepEqual(first, second) {
		t.Errorf("mapping ids changed between loads: %v, then %v", first, second)
	}
}

// snapshot is everything a store holds, to compare before and after.
type snapshot struct {
	Users  []accounting.User
	Apps   []accounting.Application
	Grants map[string][]accounting.Grant
}

func take(t *testing.T, s accounting.Store) snapshot {
	t.Helper()
	ctx := t.Context()
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	apps, err := s.Applications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	grants := map[string][]accounting.Grant{}
	for _, u := range users {
		gs, err := s.Grants(ctx, u.Name)
		if err != nil {
			t.Fatal(err)
		}
		grants[u.Name] = gs
	}
	return snapshot{users, apps, grants}
}

func (s snapshot) grantIDs() []string {
	var ids []string
	for _, gs := range s.Grants {
		for _, g := range gs {
			ids = append(ids, g.MappingID)
		}
	}
	slices.Sort(ids)
	return ids
}

func (s snapshot) userNames() []string {
	var out []string
	for _, u := range s.Users {
		out = append(out, u.Name)
	}
	return out
}

func (s snapshot) images() []string {
	var out []string
	for _, a := range s.Apps {
		out = append(out, a.Image)
	}
	return out
}

// without returns ids minus the given ones.
func without(ids []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return slices.Contains(drop, id) })
}

type writeCase struct {
	name string
	// do performs the write; ids are the fixture's mapping ids, in order.
	do func(ctx context.Context, s accounting.Store, ids []string) error
	// wantErr is the error a writable backend returns (nil for success).
	wantErr error
	// check verifies the effect of a successful write.
	check func(t *testing.T, s accounting.Store, before, after snapshot, ids []string)
}

var dataRO = accounting.Volume{Source: "/data", Target: "/data", Mode: "ro"}

var writeCases = []writeCase{
	{
		name: "mark run as root",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.SetRunAsRoot(ctx, "img-a", true)
		},
		check: func(t *testing.T, s accounting.Store, _, _ snapshot, _ []string) {
			if a, err := s.Application(t.Context(), "img-a"); err != nil || !a.RunAsRoot {
				t.Errorf("Application(img-a) = %+v, %v; want run as root", a, err)
			}
			if a, err := s.Application(t.Context(), "img-b"); err != nil || a.RunAsRoot {
				t.Errorf("Application(img-b) = %+v, %v; want not run as root", a, err)
			}
		},
	},
	{
		name: "create user",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.CreateUser(ctx, accounting.User{Name: "carol", Admin: true, PasswordHash: "$argon2id$x"})
		},
		check: func(t *testing.T, s accounting.Store, _, after snapshot, _ []string) {
			u, err := s.User(t.Context(), "carol")
			if want := (accounting.User{Name: "carol", Admin: true, PasswordHash: "$argon2id$x"}); err != nil || u != want {
				t.Errorf("User(carol) = %+v, %v; want %+v", u, err, want)
			}
			if got, want := after.userNames(), []string{"alice", "bob", "carol"}; !reflect.DeepEqual(got, want) {
				t.Errorf("users = %v, want %v", got, want)
			}
		},
	},
	{
		name: "create existing user",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.CreateUser(ctx, accounting.User{Name: "alice"})
		},
		wantErr: accounting.ErrExists,
	},
	{
		name: "create user with bad name",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.CreateUser(ctx, accounting.User{Name: "../root"})
		},
		wantErr: accounting.ErrInvalid,
	},
	{
		name: "remove user removes their grants",
		do:   func(ctx context.Context, s accounting.Store, _ []string) error { return s.RemoveUser(ctx, "alice") },
		check: func(t *testing.T, s accounting.Store, before, after snapshot, ids []string) {
			if got := after.userNames(); !reflect.DeepEqual(got, []string{"bob"}) {
				t.Errorf("users = %v, want [bob]", got)
			}
			if got, want := after.grantIDs(), []string{ids[3]}; !reflect.DeepEqual(got, want) {
				t.Errorf("grants = %v, want %v", got, want)
			}
			for _, id := range ids[:3] {
				if _, err := s.GrantByID(t.Context(), id); !errors.Is(err, accounting.ErrNotFound) {
					t.Errorf("GrantByID(%s) of a removed user: %v, want ErrNotFound", id, err)
				}
			}
			if !reflect.DeepEqual(after.Apps, before.Apps) {
				t.Errorf("applications changed: %v", after.Apps)
			}
		},
	},
	{
		name:    "remove unknown user",
		do:      func(ctx context.Context, s accounting.Store, _ []string) error { return s.RemoveUser(ctx, "nobody") },
		wantErr: accounting.ErrNotFound,
	},
	{
		name: "create application",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.CreateApplication(ctx, accounting.Application{Image: "lab/img-c:1.0"})
		},
		check: func(t *testing.T, _ accounting.Store, _, after snapshot, _ []string) {
			if got, want := after.images(), []string{"img-a", "img-b", "lab/img-c:1.0"}; !reflect.DeepEqual(got, want) {
				t.Errorf("applications = %v, want %v", got, want)
			}
		},
	},
	{
		name: "create application with limits, then change them",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			l := accounting.Limits{Memory: 512 << 20, CPUs: 1.5, Pids: 100}
			if err := s.CreateApplication(ctx, accounting.Application{Image: "img-c", Limits: l}); err != nil {
				return err
			}
			if a, err := s.Application(ctx, "img-c"); err != nil || a.Limits != l {
				return fmt.Errorf("Application(img-c) = %+v, %v", a, err)
			}
			return s.SetLimits(ctx, "img-c", accounting.Limits{Pids: 50})
		},
		check: func(t *testing.T, s accounting.Store, _, after snapshot, _ []string) {
			a, err := s.Application(t.Context(), "img-c")
			if want := (accounting.Application{Image: "img-c", Limits: accounting.Limits{Pids: 50}}); err != nil || a != want {
				t.Errorf("Application(img-c) = %+v, %v; want %+v", a, err, want)
			}
			if got := after.Apps[2]; got.Limits.Pids != 50 {
				t.Errorf("Applications() lists %+v", got)
			}
		},
	},
	{
		name: "bad limits",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.SetLimits(ctx, "img-a", accounting.Limits{Memory: 1000})
		},
		wantErr: accounting.ErrInvalid,
	},
	{
		name: "limits of an unknown application",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.SetLimits(ctx, "nope", accounting.Limits{})
		},
		wantErr: accounting.ErrNotFound,
	},
	{
		name: "create existing application",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.CreateApplication(ctx, accounting.Application{Image: "img-a"})
		},
		wantErr: accounting.ErrExists,
	},
	{
		name: "create application with bad image",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.CreateApplication(ctx, accounting.Application{Image: "Not An Image"})
		},
		wantErr: accounting.ErrInvalid,
	},
	{
		name: "remove application removes its grants",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.RemoveApplication(ctx, "img-b")
		},
		check: func(t *testing.T, _ accounting.Store, before, after snapshot, ids []string) {
			if got := after.images(); !reflect.DeepEqual(got, []string{"img-a"}) {
				t.Errorf("applications = %v, want [img-a]", got)
			}
			if got, want := after.grantIDs(), without(before.grantIDs(), ids[2], ids[3]); !reflect.DeepEqual(got, want) {
				t.Errorf("grants = %v, want %v", got, want)
			}
			if !reflect.DeepEqual(after.Users, before.Users) {
				t.Errorf("users changed: %v", after.Users)
			}
		},
	},
	{
		name: "remove unknown application",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.RemoveApplication(ctx, "nope")
		},
		wantErr: accounting.ErrNotFound,
	},
	{
		name: "grant is idempotent",
		do: func(ctx context.Context, s accounting.Store, ids []string) error {
			for i, f := range Fixture {
				id, err := s.Grant(ctx, f.User, f.Image, f.Policy)
				if err != nil {
					return err
				}
				if id != ids[i] {
					return errors.New("granting an existing grant again returned id " + id + ", want " + ids[i])
				}
			}
			// The same volume written differently is the same policy.
			p := Fixture[1].Policy
			p.Volume.Source = "/data/"
			id, err := s.Grant(ctx, "alice", "img-a", p)
			if err == nil && id != ids[1] {
				return errors.New("granting with volume source /data/ returned id " + id + ", want " + ids[1])
			}
			return err
		},
		check: func(t *testing.T, _ accounting.Store, before, after snapshot, _ []string) {
			if !reflect.DeepEqual(before, after) {
				t.Errorf("store changed: %+v, was %+v", after, before)
			}
		},
	},
	{
		name: "grant a new policy",
		do: func(ctx context.Context, s accounting.Store, ids []string) error {
			id, err := s.Grant(ctx, "bob", "img-a", accounting.Policy{AllowHome: true, Volume: dataRO})
			if err == nil && (!accounting.IsMappingID(id) || slices.Contains(ids, id)) {
				return errors.New("new grant got id " + id)
			}
			return err
		},
		check: func(t *testing.T, _ accounting.Store, _, after snapshot, _ []string) {
			if n := len(after.Grants["bob"]); n != 2 {
				t.Fatalf("bob has %d grants, want 2", n)
			}
			g := after.Grants["bob"][0]
			if g.Image != "img-a" || g.Policy != (accounting.Policy{AllowHome: true, Volume: dataRO}) {
				t.Errorf("new grant = %+v", g)
			}
		},
	},
	{
		name: "grant to unknown user",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			_, err := s.Grant(ctx, "nobody", "img-a", accounting.Policy{})
			return err
		},
		wantErr: accounting.ErrNotFound,
	},
	{
		name: "grant unknown application",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			_, err := s.Grant(ctx, "alice", "nope", accounting.Policy{})
			return err
		},
		wantErr: accounting.ErrNotFound,
	},
	{
		name: "grant with a bad volume",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			_, err := s.Grant(ctx, "alice", "img-a", accounting.Policy{Volume: accounting.Volume{Source: "/data", Target: "/proc", Mode: "ro"}})
			return err
		},
		wantErr: accounting.ErrInvalid,
	},
	{
		name: "revoke exact policy",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.Revoke(ctx, "alice", "img-a", accounting.Policy{AllowHome: true})
		},
		check: func(t *testing.T, _ accounting.Store, before, after snapshot, ids []string) {
			if got, want := after.grantIDs(), without(before.grantIDs(), ids[0]); !reflect.DeepEqual(got, want) {
				t.Errorf("grants = %v, want %v", got, want)
			}
		},
	},
	{
		name: "revoke a policy that was not granted",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.Revoke(ctx, "alice", "img-a", accounting.Policy{AllowHome: true, AllowView: true})
		},
		wantErr: accounting.ErrNotFound,
	},
	{
		name: "revoke all",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			n, err := s.RevokeAll(ctx, "alice", "img-a")
			if err == nil && n != 2 {
				return errors.New("RevokeAll did not report 2 grants")
			}
			return err
		},
		check: func(t *testing.T, _ accounting.Store, before, after snapshot, ids []string) {
			if got, want := after.grantIDs(), without(before.grantIDs(), ids[0], ids[1]); !reflect.DeepEqual(got, want) {
				t.Errorf("grants = %v, want %v", got, want)
			}
		},
	},
	{
		name: "revoke all of nothing",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			n, err := s.RevokeAll(ctx, "bob", "img-a")
			if err == nil && n != 0 {
				return errors.New("RevokeAll of nothing reported grants")
			}
			return err
		},
		check: func(t *testing.T, _ accounting.Store, before, after snapshot, _ []string) {
			if !reflect.DeepEqual(before, after) {
				t.Errorf("store changed")
			}
		},
	},
	{
		name: "revoke by mapping id",
		do:   func(ctx context.Context, s accounting.Store, ids []string) error { return s.RevokeMapping(ctx, ids[3]) },
		check: func(t *testing.T, s accounting.Store, before, after snapshot, ids []string) {
			if got, want := after.grantIDs(), without(before.grantIDs(), ids[3]); !reflect.DeepEqual(got, want) {
				t.Errorf("grants = %v, want %v", got, want)
			}
			if _, err := s.GrantByID(t.Context(), ids[3]); !errors.Is(err, accounting.ErrNotFound) {
				t.Errorf("GrantByID of a revoked grant: %v", err)
			}
		},
	},
	{
		name: "revoke unknown mapping id",
		do: func(ctx context.Context, s accounting.Store, _ []string) error {
			return s.RevokeMapping(ctx, accounting.NewMappingID())
		},
		wantErr: accounting.ErrNotFound,
	},
}

func testWrites(t *testing.T, b Backend, fixture []FixtureGrant, cases []writeCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ids := open(t, b, fixture)
			before := take(t, s)
			err := tc.do(t.Context(), s, ids)
			wantErr := tc.wantErr
			if b.ReadOnly {
				wantErr = accounting.ErrReadOnly
			}
			switch {
			case wantErr == nil && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case wantErr != nil && !errors.Is(err, wantErr):
				t.Fatalf("error = %v, want %v", err, wantErr)
			}
			after := take(t, s)
			if wantErr != nil {
				if !reflect.DeepEqual(before, after) {
					t.Fatalf("a failed write changed the store:\nbefore %+v\nafter  %+v", before, after)
				}
				return
			}
			if tc.check != nil {
				tc.check(t, s, before, after, ids)
			}
		})
	}
}

// testSessionUIDs: every user has a session uid in the range, their own,
// the same at each call and after the store is opened again; an unknown
// user has none.
func testSessionUIDs(t *testing.T, b Backend) {
	r := accounting.UIDRange{First: 500000, Last: 599999}
	path := b.Create(t, Fixture)
	uids := func() map[string]int {
		s := b.Open(t, path)
		defer s.Close()
		out := map[string]int{}
		for _, u := range []string{"alice", "bob", "alice"} {
			uid, err := s.SessionUID(t.Context(), u, r)
			if err != nil || !r.Contains(uid) {
				t.Fatalf("SessionUID(%s) = %d, %v; want one in %s", u, uid, err, r)
			}
			if prev, ok := out[u]; ok && prev != uid {
				t.Errorf("SessionUID(%s) = %d, then %d", u, prev, uid)
			}
			out[u] = uid
		}
		if _, err := s.SessionUID(t.Context(), "nobody", r); !errors.Is(err, accounting.ErrNotFound) {
			t.Errorf("SessionUID(nobody): %v; want ErrNotFound", err)
		}
		return out
	}
	first := uids()
	if first["alice"] == first["bob"] {
		t.Errorf("alice and bob share uid %d", first["alice"])
	}
	if again := uids(); !reflect.DeepEqual(again, first) {
		t.Errorf("after opening the store again: %v, before %v", again, first)
	}
}
