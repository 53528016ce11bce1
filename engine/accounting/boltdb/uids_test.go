package boltdb

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
)

func TestSessionUID(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "simphony-remote.db")
	s, err := Init(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		if err := s.CreateUser(ctx, accounting.User{Name: u}); err != nil {
			t.Fatal(err)
		}
	}
	r := accounting.UIDRange{First: 300000, Last: 300002}

	// Concurrent first starts of one user get one uid; users get
	// different ones.
	var wg sync.WaitGroup
	got := make([]int, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = s.SessionUID(ctx, "alice", r)
		}()
	}
	wg.Wait()
	for _, uid := range got {
		if uid != 300000 {
			t.Fatalf("alice's concurrent starts got uids %v, want 300000 each", got)
		}
	}
	bob, err := s.SessionUID(ctx, "bob", r)
	if err != nil || bob != 300001 {
		t.Fatalf("bob got %d, %v; want 300001", bob, err)
	}

	// Other writes keep the uid, and so does reopening the file.
	if err := s.SetAdmin(ctx, "alice", true); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if uid, err := s.SessionUID(ctx, "alice", r); err != nil || uid != 300000 {
		t.Fatalf("after a reopen alice has %d, %v; want 300000", uid, err)
	}

	// A removed user's uid is never given again, even to a user of the
	// same name.
	if err := s.RemoveUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, accounting.User{Name: "bob"}); err != nil {
		t.Fatal(err)
	}
	if uid, err := s.SessionUID(ctx, "bob", r); err != nil || uid != 300002 {
		t.Fatalf("bob, created again, got %d, %v; want 300002", uid, err)
	}

	// The range is used up: a clear error, and nothing given.
	_, err = s.SessionUID(ctx, "carol", r)
	if !errors.Is(err, accounting.ErrNoUID) {
		t.Fatalf("carol in a used-up range: %v; want ErrNoUID", err)
	}
	t.Log(err)
	// A wider range serves her, after the uids given before.
	if uid, err := s.SessionUID(ctx, "carol", accounting.UIDRange{First: 300000, Last: 300009}); err != nil || uid != 300003 {
		t.Fatalf("carol in a wider range got %d, %v; want 300003", uid, err)
	}
	if _, err := s.SessionUID(ctx, "nobody", r); !errors.Is(err, accounting.ErrNotFound) {
		t.Fatalf("an unknown user: %v; want ErrNotFound", err)
	}
}
