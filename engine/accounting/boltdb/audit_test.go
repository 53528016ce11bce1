package boltdb

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/simphony/simphony-remote/engine/audit"
)

func newAuditStore(t *testing.T) *Store {
	t.Helper()
	s, err := Init(filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// ids lists the ids of entries.
func ids(entries []audit.Entry) []uint64 {
	out := make([]uint64, len(entries))
	for i, e := range entries {
		out[i] = e.ID
	}
	return out
}

func TestAuditAppendAndList(t *testing.T) {
	s := newAuditStore(t)
	ctx := t.Context()
	if got, next, err := s.AuditEntries(ctx, 0, 10); err != nil || len(got) != 0 || got == nil || next != 0 {
		t.Fatalf("empty log: %v, %d, %v", got, next, err)
	}
	when := time.Date(2025, 3, 4, 5, 6, 7, 8e6, time.UTC)
	for i := 1; i <= 7; i++ {
		id, err := s.AppendAudit(ctx, audit.Entry{ID: 99, Time: when, Actor: "alice", Address: "192.0.2.1",
			Action: audit.UserCreate, Target: fmt.Sprintf("u%d", i), Detail: "admin=false", Result: audit.ResultOK})
		if err != nil {
			t.Fatal(err)
		}
		if id != uint64(i) {
			t.Fatalf("append %d got id %d", i, id)
		}
	}
	all, next, err := s.AuditEntries(ctx, 0, 0)
	if err != nil || next != 0 || fmt.Sprint(ids(all)) != "[7 6 5 4 3 2 1]" {
		t.Fatalf("all: %v, next %d, %v", ids(all), next, err)
	}
	want := audit.Entry{ID: 7, Time: when, Actor: "alice", Address: "192.0.2.1", Action: "user.create", Target: "u7", Detail: "admin=false", Result: "ok"}
	if all[0] != want {
		t.Errorf("newest = %+v, want %+v", all[0], want)
	}

	tests := []struct {
		before uint64
		limit  int
		want   string
		next   uint64
	}{
		{0, 3, "[7 6 5]", 5},
		{5, 3, "[4 3 2]", 2},
		{2, 3, "[1]", 0},
		{4, 3, "[3 2 1]", 0}, // a full page with nothing older
		{1, 3, "[]", 0},
		{100, 2, "[7 6]", 6}, // before beyond the newest
		{8, 0, "[7 6 5 4 3 2 1]", 0},
	}
	for _, tt := range tests {
		got, next, err := s.AuditEntries(ctx, tt.before, tt.limit)
		if err != nil || fmt.Sprint(ids(got)) != tt.want || next != tt.next {
			t.Errorf("before %d limit %d: %v next %d (%v), want %s next %d", tt.before, tt.limit, ids(got), next, err, tt.want, tt.next)
		}
	}

	// Following next from the newest visits every entry once.
	var seen []uint64
	for before, pages := uint64(0), 0; ; pages++ {
		got, next, err := s.AuditEntries(ctx, before, 2)
		if err != nil || pages > 10 {
			t.Fatalf("paging: %v after %d pages", err, pages)
		}
		seen = append(seen, ids(got)...)
		if next == 0 {
			break
		}
		before = next
	}
	if fmt.Sprint(seen) != "[7 6 5 4 3 2 1]" {
		t.Errorf("paged through %v", seen)
	}
}

func TestAuditLimitCap(t *testing.T) {
	s := newAuditStore(t)
	err := s.db.Update(func(tx *bolt.Tx) error {
		for range audit.MaxLimit + 5 {
			if _, err := appendAudit(tx.Bucket(bucketAudit), audit.Entry{Action: audit.SignIn}, audit.MaxEntries); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, next, err := s.AuditEntries(t.Context(), 0, 5000)
	if err != nil || len(got) != audit.MaxLimit || next != 6 {
		t.Errorf("limit 5000: %d entries, next %d, %v; want %d, next 6", len(got), next, err, audit.MaxLimit)
	}
}

func TestAuditRetention(t *testing.T) {
	s := newAuditStore(t)
	ctx := t.Context()

	// A small limit through the function AppendAudit uses.
	err := s.db.Update(func(tx *bolt.Tx) error {
		for range 10 {
			if _, err := appendAudit(tx.Bucket(bucketAudit), audit.Entry{Action: audit.SignIn}, 4); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _, _ := s.AuditEntries(ctx, 0, 100)
	if fmt.Sprint(ids(got)) != "[10 9 8 7]" {
		t.Errorf("kept %v, want the newest 4", ids(got))
	}
}

// TestAuditRetentionAtMax fills the log to audit.MaxEntries (in one
// transaction, for speed) and appends through the store.
func TestAuditRetentionAtMax(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100 000 entries")
	}
	s := newAuditStore(t)
	ctx := t.Context()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		for range audit.MaxEntries {
			if _, err := appendAudit(b, audit.Entry{Action: audit.SignIn}, audit.MaxEntries); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := s.AppendAudit(ctx, audit.Entry{Action: audit.SignOut}); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	var first, last uint64
	_ = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		n = b.Stats().KeyN
		k, _ := b.Cursor().First()
		first = decodeID(k)
		k, _ = b.Cursor().Last()
		last = decodeID(k)
		return nil
	})
	if n != audit.MaxEntries || first != 4 || last != audit.MaxEntries+3 {
		t.Errorf("%d entries from %d to %d, want %d from 4 to %d", n, first, last, audit.MaxEntries, audit.MaxEntries+3)
	}
}

func decodeID(k []byte) uint64 {
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}
