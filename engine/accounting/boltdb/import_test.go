package boltdb

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// TestImport: a batch goes in whole, its grants under their own mapping
// ids; a batch with one record that may not go in leaves the file as it
// was.
func TestImport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s, err := Init(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		if err := checkFile(path); err != nil {
			t.Errorf("check after test: %v", err)
		}
	})
	ctx := t.Context()
	const id = "3f2c7d5e0a8b4c1d9e6f7a8b9c0d1e2f"
	pol := accounting.Policy{AllowHome: true, Volume: accounting.Volume{Source: "/srv/data/", Target: "/data", Mode: "ro"}}
	b := accounting.Batch{Users: []string{"alice"}, Applications: []string{"img"},
		Grants: []accounting.Grant{{MappingID: id, User: "alice", Image: "img", Policy: pol}}}
	if err := s.Import(ctx, b); err != nil {
		t.Fatal(err)
	}
	g, err := s.GrantByID(ctx, id)
	want := accounting.Grant{MappingID: id, User: "alice", Image: "img", Policy: pol.Canonical()}
	if err != nil || g != want {
		t.Fatalf("GrantByID = %+v, %v; want %+v", g, err, want)
	}
	// The imported grant is the grant of that content: granting it again
	// answers its id.
	if again, err := s.Grant(ctx, "alice", "img", pol); err != nil || again != id {
		t.Errorf("Grant of the same = %s, %v; want %s", again, err, id)
	}

	bad := []struct {
		name  string
		b     accounting.Batch
		wants []string
	}{
		{"mapping id taken", accounting.Batch{Users: []string{"bob"}, Grants: []accounting.Grant{{MappingID: id, User: "bob", Image: "img"}}},
			[]string{"grant " + id + " of img to bob", "mapping id already exists"}},
		{"same grant", accounting.Batch{Users: []string{"bob"}, Grants: []accounting.Grant{{MappingID: strings.Repeat("1", 32), User: "alice", Image: "img", Policy: pol}}},
			[]string{"the same grant already exists as mapping id " + id}},
		{"user exists", accounting.Batch{Applications: []string{"other"}, Users: []string{"alice"}}, []string{"user alice: already exists"}},
		{"app exists", accounting.Batch{Users: []string{"bob"}, Applications: []string{"docker.io/library/img:latest"}}, []string{"already exists as img"}},
		{"bad id", accounting.Batch{Users: []string{"bob"}, Grants: []accounting.Grant{{MappingID: "x", User: "bob", Image: "img"}}}, []string{`invalid mapping id "x"`}},
		{"unknown user", accounting.Batch{Applications: []string{"other"}, Grants: []accounting.Grant{{MappingID: strings.Repeat("2", 32), User: "carol", Image: "other"}}}, []string{"user carol: not found"}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Import(ctx, tt.b)
			if err == nil {
				t.Fatal("Import succeeded")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			// Nothing of the batch went in.
			for _, u := range tt.b.Users {
				if u == "alice" {
					continue
				}
				if _, err := s.User(ctx, u); !errors.Is(err, accounting.ErrNotFound) {
					t.Errorf("user %s after a failed import: %v, want not found", u, err)
				}
			}
			if _, err := s.Application(ctx, "other"); !errors.Is(err, accounting.ErrNotFound) {
				t.Errorf("application other after a failed import: %v, want not found", err)
			}
		})
	}
}
