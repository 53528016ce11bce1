package routes

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestTable(t *testing.T) {
	tb := New()
	tb.Put(Route{URLID: "b", User: "bob", ContainerID: "c1"})
	tb.Put(Route{URLID: "a", User: "alice", ContainerID: "c2"})
	if r, ok := tb.Get("a"); !ok || r.User != "alice" {
		t.Fatalf("Get(a) = %+v, %v", r, ok)
	}
	if _, ok := tb.Get("zzz"); ok {
		t.Fatal("Get of a missing url id found something")
	}
	if l := tb.List(); len(l) != 2 || l[0].User != "alice" || l[1].User != "bob" {
		t.Errorf("List = %+v", l)
	}
	if _, ok := tb.DeleteIf("a", "other-container"); ok {
		t.Error("DeleteIf removed another container's route")
	}
	if _, ok := tb.DeleteIf("a", "c2"); !ok || tb.Len() != 1 {
		t.Error("DeleteIf did not remove the route")
	}
	if r, ok := tb.Delete("b"); !ok || r.ContainerID != "c1" || tb.Len() != 0 {
		t.Errorf("Delete = %+v, %v; len %d", r, ok, tb.Len())
	}
}

func TestActivity(t *testing.T) {
	tb := New()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tb.Put(Route{URLID: "a", Started: start})
	r, _ := tb.Get("a")
	if !r.LastActive().Equal(start) {
		t.Errorf("LastActive before any request = %v, want the start", r.LastActive())
	}
	later := start.Add(time.Hour)
	r.Touch(later)
	again, _ := tb.Get("a")
	if !again.LastActive().Equal(later) {
		t.Errorf("LastActive = %v, want %v (activity shared between copies)", again.LastActive(), later)
	}
}

// TestTrafficIsCoarse: WebSocket traffic moves LastActive, but not more
// often than TrafficGranularity.
func TestTrafficIsCoarse(t *testing.T) {
	tb := New()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tb.Put(Route{URLID: "a", Started: start})
	r, _ := tb.Get("a")
	for _, step := range []struct {
		at, want time.Time
	}{
		{start.Add(time.Minute), start.Add(time.Minute)},                                           // the first traffic counts
		{start.Add(time.Minute + TrafficGranularity/2), start.Add(time.Minute)},                    // too soon after it
		{start.Add(time.Minute + TrafficGranularity), start.Add(time.Minute + TrafficGranularity)}, // due
	} {
		r.Traffic(step.at)
		if got, _ := tb.Get("a"); !got.LastActive().Equal(step.want) {
			t.Errorf("after traffic at %v, LastActive = %v, want %v", step.at, got.LastActive(), step.want)
		}
	}
	Route{URLID: "b"}.Traffic(start) // a route the table never had: no activity to record, no panic
}

func TestConcurrentUse(t *testing.T) {
	tb := New()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				id := fmt.Sprint(w, "-", i)
				tb.Put(Route{URLID: id})
				if _, ok := tb.Get(id); !ok {
					t.Errorf("lost %s", id)
					return
				}
				tb.Delete(id)
			}
		}()
	}
	wg.Wait()
	if tb.Len() != 0 {
		t.Errorf("Len = %d after deleting everything", tb.Len())
	}
}

func BenchmarkGet(b *testing.B) {
	for _, n := range []int{10, 1000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			tb := New()
			for i := range n {
				tb.Put(Route{URLID: fmt.Sprintf("%032x", i)})
			}
			last := fmt.Sprintf("%032x", n-1)
			b.ResetTimer()
			for b.Loop() {
				tb.Get(last)
			}
		})
	}
}
