package wsrelay_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/simphony/simphony-remote/engine/wsrelay"
)

func TestRegistry(t *testing.T) {
	var g wsrelay.Registry
	var closed atomic.Int32
	count := func() { closed.Add(1) }
	doneA1 := g.Add("a", count)
	g.Add("a", count)
	doneB := g.Add("b", count)
	if g.Count("a") != 2 || g.Count("b") != 1 || g.Count("c") != 0 {
		t.Fatalf("counts %d %d %d", g.Count("a"), g.Count("b"), g.Count("c"))
	}
	doneA1()
	doneA1() // twice is harmless
	if n := g.Close("a"); n != 1 || closed.Load() != 1 {
		t.Fatalf("Close(a) = %d, closed %d; want 1, 1", n, closed.Load())
	}
	if n := g.Close("a"); n != 0 {
		t.Fatalf("Close(a) again = %d", n)
	}
	if n := g.CloseAll(); n != 1 || closed.Load() != 2 {
		t.Fatalf("CloseAll = %d, closed %d", n, closed.Load())
	}
	doneB() // after its Close: harmless
	if g.Count("b") != 0 {
		t.Fatal("b still registered")
	}
}

func TestRegistryConcurrent(t *testing.T) {
	var g wsrelay.Registry
	var wg sync.WaitGroup
	var closed atomic.Int64
	for i := range 50 {
		wg.Go(func() {
			key := fmt.Sprint(i % 5)
			for range 100 {
				done := g.Add(key, func() { closed.Add(1) })
				_ = g.Count(key)
				if i%3 == 0 {
					g.Close(key)
				}
				done()
			}
		})
	}
	wg.Wait()
	if g.CloseAll() != 0 {
		t.Error("relays left registered")
	}
}

// TestRegistryCloses checks that Registry.Close ends a live relay at once,
// both sides, with "access revoked", and only the relays of its key.
func TestRegistryCloses(t *testing.T) {
	noLeaks(t)
	var g wsrelay.Registry
	up := newUpstream(t, nil, echo)
	f := newFront(t, up.addr(), func(r *http.Request) wsrelay.Options {
		return wsrelay.Options{Registry: &g, Key: r.URL.Query().Get("key")}
	})
	bob1 := f.dial(t, "/?key=url1/bob", nil)
	bob2 := f.dial(t, "/?key=url1/bob", nil)
	carol := f.dial(t, "/?key=url1/carol", nil)
	waitFor(t, "three relays registered", func() bool { return g.Count("url1/bob") == 2 && g.Count("url1/carol") == 1 })

	start := time.Now()
	if n := g.Close("url1/bob"); n != 2 {
		t.Fatalf("Close closed %d relays, want 2", n)
	}
	for i, c := range []*websocket.Conn{bob1, bob2} {
		if ce := closeStatus(t, c); ce.Code != websocket.StatusPolicyViolation || ce.Reason != "access revoked" {
			t.Errorf("bob's connection %d closed with %v", i, ce)
		}
	}
	for i := range 2 {
		if err := up.endedWith(t); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
			t.Errorf("bob's upstream connection %d ended with %v", i, err)
		}
	}
	_, _ = f.wait(t), f.wait(t)
	t.Logf("both sides of both relays closed %v after Registry.Close", time.Since(start))
	if g.Count("url1/bob") != 0 {
		t.Error("bob's relays are still registered")
	}

	// Carol's relay still works.
	ctx := within(t, 10*time.Second)
	if err := carol.Write(ctx, websocket.MessageText, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, b, err := carol.Read(ctx); err != nil || string(b) != "still here" {
		t.Fatalf("carol: %q, %v", b, err)
	}
	_ = carol.Close(websocket.StatusNormalClosure, "")
	_ = f.wait(t)
	if g.Count("url1/carol") != 0 {
		t.Error("carol's relay is still registered after it ended")
	}
}

func TestAuthorizeAfterRegistering(t *testing.T) {
	noLeaks(t)
	var g wsrelay.Registry
	up := newUpstream(t, nil, func(ctx context.Context, c *websocket.Conn) error {
		_, _, err := c.Read(ctx)
		return err
	})
	f := newFront(t, up.addr(), func(r *http.Request) wsrelay.Options {
		return wsrelay.Options{Registry: &g, Key: "k", Authorize: func() bool {
			if g.Count("k") != 1 {
				t.Error("Authorize was asked before the relay was registered")
			}
			return false
		}}
	})
	c := f.dial(t, "/", nil)
	if ce := closeStatus(t, c); ce.Code != websocket.StatusPolicyViolation {
		t.Errorf("closed with %v, want a policy violation", ce)
	}
	_ = f.wait(t)
	if err := up.endedWith(t); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Errorf("upstream ended with %v, want a policy violation", err)
	}
}

// waitFor polls cond until it holds, or fails the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
