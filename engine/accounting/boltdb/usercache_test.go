package boltdb

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// TestUserCacheFollowsWrites checks that User, which the proxy calls on
// every request and answers from a cache, never answers from before a
// write that has returned, however many readers run meanwhile.
func TestUserCacheFollowsWrites(t *testing.T) {
	ctx := t.Context()
	s, err := Init(filepath.Join(t.TempDir(), "simphony-remote.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateUser(ctx, accounting.User{Name: "alice"}); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.User(ctx, "alice"); err != nil && !errors.Is(err, accounting.ErrNotFound) {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range 200 {
		disabled := i%2 == 0
		if err := s.SetDisabled(ctx, "alice", disabled); err != nil {
			t.Fatal(err)
		}
		u, err := s.User(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if u.Disabled != disabled {
			t.Fatalf("write %d: User says disabled=%v after SetDisabled(%v) returned", i, u.Disabled, disabled)
		}
	}
	if err := s.SetAdmin(ctx, "alice", true); err != nil {
		t.Fatal(err)
	}
	if u, err := s.User(ctx, "alice"); err != nil || !u.Admin {
		t.Fatalf("after SetAdmin: %+v, %v", u, err)
	}
	if err := s.RemoveUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.User(ctx, "alice"); !errors.Is(err, accounting.ErrNotFound) {
		t.Fatalf("after RemoveUser: %v, want not found", err)
	}
	close(stop)
	readers.Wait()
}
