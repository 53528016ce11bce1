package shares_test

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/shares"
)

// closes records the connections the shares asked to close.
type closes struct {
	mu  sync.Mutex
	got []string
}

func (c *closes) close(urlID, user string) {
	c.mu.Lock()
	c.got = append(c.got, urlID+"/"+user)
	c.mu.Unlock()
}

func (c *closes) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.got...)
}

func TestShares(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "db")
	store, err := boltdb.Init(path)
	if err != nil {
		t.Fatal(err)
	}
	var cl closes
	s, err := shares.New(ctx, store, cl.close, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, shares.Share{URLID: "u1", User: "bob", Mode: "admin"}); err == nil {
		t.Error("a share with a bad mode was accepted")
	}
	past := time.Now().Add(-time.Second)
	if _, err := s.Put(ctx, shares.Share{URLID: "u1", User: "bob", Mode: shares.View, Expires: &past}); err == nil {
		t.Error("a share expiring in the past was accepted")
	}
	if _, err := s.Put(ctx, shares.Share{URLID: "u1", User: "bob", Mode: shares.Control}); err != nil {
		t.Fatal(err)
	}
	if sh, ok := s.Lookup("u1", "bob"); !ok || sh.Mode != shares.Control || sh.Created.IsZero() {
		t.Fatalf("Lookup = %+v, %v", sh, ok)
	}
	// Control down to view closes what bob opened under control.
	if _, err := s.Put(ctx, shares.Share{URLID: "u1", User: "bob", Mode: shares.View}); err != nil {
		t.Fatal(err)
	}
	if got := cl.list(); len(got) != 1 || got[0] != "u1/bob" {
		t.Errorf("closes after downgrading = %v", got)
	}
	if _, err := s.Put(ctx, shares.Share{URLID: "u1", User: "carol", Mode: shares.Control}); err != nil {
		t.Fatal(err)
	}
	if l := s.List("u1"); len(l) != 2 || l[0].User != "bob" || l[1].User != "carol" {
		t.Errorf("List = %+v", l)
	}
	if w := s.With("bob"); len(w) != 1 || w[0].URLID != "u1" {
		t.Errorf("With(bob) = %+v", w)
	}

	// Expiry closes connections and forgets the share.
	soon := time.Now().Add(100 * time.Millisecond)
	if _, err := s.Put(ctx, shares.Share{URLID: "u2", User: "bob", Mode: shares.View, Expires: &soon}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		if _, ok := s.Lookup("u2", "bob"); !ok && contains(cl.list(), "u2/bob") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the share did not expire: closes %v", cl.list())
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A restart keeps the shares.
	store.Close()
	store, err = boltdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s, err = shares.New(ctx, store, cl.close, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l := s.List("u1"); len(l) != 2 {
		t.Fatalf("shares after a restart: %+v", l)
	}
	if _, ok := s.Lookup("u2", "bob"); ok {
		t.Error("the expired share came back")
	}

	if err := s.Remove(ctx, "u1", "nobody"); !errors.Is(err, shares.ErrNotFound) {
		t.Errorf("Remove(unknown) = %v", err)
	}
	if err := s.Remove(ctx, "u1", "carol"); err != nil || !contains(cl.list(), "u1/carol") {
		t.Errorf("Remove = %v, closes %v", err, cl.list())
	}
	if err := s.DropUser(ctx, "bob"); err != nil || len(s.With("bob")) != 0 {
		t.Errorf("DropUser = %v, with bob %v", err, s.With("bob"))
	}
	_, _ = s.Put(ctx, shares.Share{URLID: "u3", User: "dave", Mode: shares.View})
	_, _ = s.Put(ctx, shares.Share{URLID: "u4", User: "dave", Mode: shares.View})
	if err := s.Prune(ctx, func(urlID string) bool { return urlID == "u4" }); err != nil {
		t.Fatal(err)
	}
	if w := s.With("dave"); len(w) != 1 || w[0].URLID != "u4" {
		t.Errorf("after Prune: %+v", w)
	}
	if err := s.DropSession(ctx, "u4"); err != nil || len(s.List("u4")) != 0 {
		t.Errorf("DropSession = %v", err)
	}
	if stored, _ := store.Shares(ctx); len(stored) != 0 {
		t.Errorf("stored shares left: %+v", stored)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
