package admin_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/csvfile"
	"github.com/simphony/simphony-remote/engine/admin"
)

const (
	legacyID1 = "3f2c7d5e0a8b4c1d9e6f7a8b9c0d1e2f"
	legacyID2 = "8a1b2c3d4e5f40718293a4b5c6d7e8f9"
	legacyID3 = "c0ffee00c0ffee00c0ffee00c0ffee00"
)

func legacyBatch() accounting.Batch {
	return accounting.Batch{
		Users:        []string{"alice", "bob"},
		Applications: []string{"img", "lab/tool:2"},
		Grants: []accounting.Grant{
			{MappingID: legacyID1, User: "alice", Image: "img", Policy: accounting.Policy{AllowHome: true}},
			{MappingID: legacyID2, User: "alice", Image: "lab/tool:2", Policy: accounting.Policy{Volume: accounting.Volume{Source: "/data", Target: "/data", Mode: "ro"}}},
			{MappingID: legacyID3, User: "bob", Image: "img"},
		},
	}
}

func TestLocalImport(t *testing.T) {
	l, s, _, _ := newLocal(t)
	ctx := t.Context()

	dry, err := l.Import(ctx, legacyBatch(), true)
	if err != nil {
		t.Fatal(err)
	}
	if !dry.DryRun || len(dry.Users) != 2 || len(dry.Applications) != 2 || len(dry.Grants) != 3 || len(dry.Conflicts) != 0 {
		t.Errorf("dry run report %+v", dry)
	}
	if users, _ := s.Users(ctx); len(users) != 0 {
		t.Fatalf("a dry run added users: %+v", users)
	}

	rep, err := l.Import(ctx, legacyBatch(), false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.DryRun || !slices.Equal(rep.Grants, dry.Grants) || rep.Unchanged != 0 {
		t.Errorf("report %+v, want what the dry run said, %+v", rep, dry)
	}
	for _, g := range legacyBatch().Grants {
		got, err := s.GrantByID(ctx, g.MappingID)
		if err != nil || got != g {
			t.Errorf("GrantByID(%s) = %+v, %v; want %+v", g.MappingID, got, err, g)
		}
	}

	// Again: everything is there with the same data.
	again, err := l.Import(ctx, legacyBatch(), false)
	if err != nil {
		t.Fatal(err)
	}
	if again.Unchanged != 7 || len(again.Users)+len(again.Applications)+len(again.Grants)+len(again.Conflicts) != 0 {
		t.Errorf("importing again: %+v, want 7 unchanged and nothing else", again)
	}
}

// TestLocalImportConflicts: what conflicts is reported, one line each,
// and left as it was; the rest is imported.
func TestLocalImportConflicts(t *testing.T) {
	l, s, _, _ := newLocal(t)
	ctx := t.Context()
	// The appliance has a grant under the id the file gives another one,
	// and bob's grant under an id of its own.
	if err := s.Import(ctx, accounting.Batch{Users: []string{"alice", "bob"}, Applications: []string{"docker.io/library/img:latest"},
		Grants: []accounting.Grant{
			{MappingID: legacyID1, User: "bob", Image: "docker.io/library/img:latest", Policy: accounting.Policy{AllowView: true}},
			{MappingID: strings.Repeat("d", 32), User: "bob", Image: "docker.io/library/img:latest"},
		}}); err != nil {
		t.Fatal(err)
	}
	b := legacyBatch()
	b.Users = append(b.Users, "carol")
	b.Grants = append(b.Grants,
		accounting.Grant{MappingID: strings.Repeat("e", 32), User: "carol", Image: "img", Policy: accounting.Policy{Volume: accounting.Volume{Source: "/etc", Target: "/etc", Mode: "ro"}}},
		accounting.Grant{MappingID: legacyID2, User: "carol", Image: "img"})
	before := dump(t, s)
	rep, err := l.Import(ctx, b, false)
	if err != nil {
		t.Fatal(err)
	}
	wantConflicts := []string{
		"grant " + legacyID1 + " of docker.io/library/img:latest to alice (allow_home): the mapping id is taken by the grant of docker.io/library/img:latest to bob (allow_view)",
		"grant " + legacyID3 + " of docker.io/library/img:latest to bob (plain policy): the appliance has the same grant as mapping id " + strings.Repeat("d", 32) + "; the original's id is not kept",
		"grant " + strings.Repeat("e", 32) + ` of docker.io/library/img:latest to carol (volume /etc:/etc:ro): invalid volume "/etc:/etc:ro": not allowed by the fake`,
		"grant " + legacyID2 + " of docker.io/library/img:latest to carol (plain policy): the file gives its mapping id to lab/tool:2 of alice too",
	}
	if !slices.Equal(rep.Conflicts, wantConflicts) {
		t.Errorf("conflicts\n%s\nwant\n%s", strings.Join(rep.Conflicts, "\n"), strings.Join(wantConflicts, "\n"))
	}
	if !slices.Equal(rep.Users, []string{"carol"}) || !slices.Equal(rep.Applications, []string{"lab/tool:2"}) ||
		len(rep.Grants) != 1 || rep.Grants[0].MappingID != legacyID2 || rep.Unchanged != 3 {
		t.Errorf("report %+v", rep)
	}
	// The conflicting records stay as they were.
	for _, id := range []string{legacyID1, strings.Repeat("d", 32)} {
		if g, err := s.GrantByID(ctx, id); err != nil || g.User != "bob" {
			t.Errorf("grant %s after the import: %+v, %v; want bob's as before", id, g, err)
		}
	}
	after := dump(t, s)
	if len(after) != len(before)+1 {
		t.Errorf("grants before %v, after %v: want one more", before, after)
	}
}

// dump lists every grant of the store's users.
func dump(t *testing.T, s accounting.Store) []accounting.Grant {
	t.Helper()
	users, err := s.Users(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []accounting.Grant
	for _, u := range users {
		gs, err := s.Grants(t.Context(), u.Name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, gs...)
	}
	return out
}

// TestLocalImportRefuses: invalid records refuse the whole batch; a CSV
// backend cannot take it.
func TestLocalImportRefuses(t *testing.T) {
	l, s, _, _ := newLocal(t)
	ctx := t.Context()
	b := legacyBatch()
	b.Users = append(b.Users, "Not Valid")
	b.Grants = append(b.Grants, accounting.Grant{MappingID: "short", User: "alice", Image: "img"})
	_, err := l.Import(ctx, b, false)
	if !errors.Is(err, accounting.ErrInvalid) || !strings.Contains(err.Error(), `invalid user name "Not Valid"`) || !strings.Contains(err.Error(), `invalid mapping id "short"`) {
		t.Errorf("Import of invalid records: %v, want both named", err)
	}
	if users, _ := s.Users(ctx); len(users) != 0 {
		t.Errorf("a refused import added users: %+v", users)
	}

	path := filepath.Join(t.TempDir(), "a.csv")
	if err := os.WriteFile(path, []byte("user.name,application.image\nzed,img\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cs, err := csvfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.NewLocal(cs, admin.Options{}).Import(ctx, legacyBatch(), false)
	if !errors.Is(err, accounting.ErrReadOnly) {
		t.Errorf("Import into a CSV backend: %v, want ErrReadOnly", err)
	}
}

// TestClientImportMatchesLocal: Import through the admin API answers as
// Local does.
func TestClientImportMatchesLocal(t *testing.T) {
	imp := func(b accounting.Batch, dry bool) func(context.Context, admin.Service, map[string]string) (any, error) {
		return func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Import(ctx, b, dry)
		}
	}
	clash := legacyBatch()
	clash.Grants = append(clash.Grants, accounting.Grant{MappingID: legacyID1, User: "bob", Image: "lab/tool:2"},
		accounting.Grant{MappingID: strings.Repeat("e", 32), User: "bob", Image: "lab/tool:2", Policy: accounting.Policy{Volume: accounting.Volume{Source: "/etc", Target: "/etc", Mode: "ro"}}})
	invalid := legacyBatch()
	invalid.Users = append(invalid.Users, "Bad")
	compare(t, func(t *testing.T) (admin.Service, *hooks) {
		l, _, _, h := newLocal(t)
		return l, h
	}, []step{
		{"dry run", imp(legacyBatch(), true)},
		{"import", imp(legacyBatch(), false)},
		{"again", imp(legacyBatch(), false)},
		{"conflicts", imp(clash, false)},
		{"invalid", imp(invalid, false)},
		{"empty", imp(accounting.Batch{}, false)},
		{"users at the end", func(ctx context.Context, s admin.Service, _ map[string]string) (any, error) {
			return s.Users(ctx, true)
		}},
	})
}
