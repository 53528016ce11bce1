package wsrelay_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// idleConns is how many idle connections the memory measure holds open.
const idleConns = 200

// cost is what some idle connections take, each.
type cost struct {
	heap, stack float64 // bytes
	goroutines  float64
}

func snapshot() (heap, stack uint64, goroutines int) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, m.StackInuse, runtime.NumGoroutine()
}

// openIdle opens n connections to url, each after one round trip, and
// returns what they cost while idle; then it closes them and waits for
// the upstream's side of each to end.
func openIdle(tb testing.TB, up *upstream, url string, n int) cost {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	heap0, stack0, g0 := snapshot()
	conns := make([]*websocket.Conn, 0, n)
	for range n {
		c, _, err := websocket.Dial(ctx, url, nil)
		if err != nil {
			tb.Fatal(err)
		}
		conns = append(conns, c)
		if err := c.Write(ctx, websocket.MessageBinary, []byte("hello")); err != nil {
			tb.Fatal(err)
		}
		if _, _, err := c.Read(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	heap1, stack1, g1 := snapshot()
	for _, c := range conns {
		_ = c.Close(websocket.StatusNormalClosure, "")
	}
	for range n {
		<-up.ended
	}
	return cost{
		heap:       (float64(heap1) - float64(heap0)) / float64(n),
		stack:      (float64(stack1) - float64(stack0)) / float64(n),
		goroutines: float64(g1-g0) / float64(n),
	}
}

// relayCost measures idle connections opened directly to an upstream,
// then the same through the relay: the difference is the relay's.
func relayCost(tb testing.TB, up *upstream, f *front) (direct, relayed cost) {
	direct = openIdle(tb, up, "ws://"+up.addr()+"/", idleConns)
	relayed = openIdle(tb, up, f.wsURL("/"), idleConns)
	for range idleConns {
		<-f.served
	}
	return direct, relayed
}

// TestIdleRelayMemory reports what an idle relayed connection costs (run
// it without -race for real numbers: go test -run IdleRelayMemory -v).
func TestIdleRelayMemory(t *testing.T) {
	up := newUpstream(t, nil, echo)
	f := newFront(t, up.addr(), nil)
	direct, relayed := relayCost(t, up, f)
	heap := relayed.heap - direct.heap
	stack := relayed.stack - direct.stack
	t.Logf("%d idle connections: direct %.1f KiB heap + %.1f KiB stack, %.1f goroutines each; relayed %.1f KiB heap + %.1f KiB stack, %.1f goroutines each",
		idleConns, direct.heap/1024, direct.stack/1024, direct.goroutines, relayed.heap/1024, relayed.stack/1024, relayed.goroutines)
	t.Logf("the relay's own cost per idle connection: %.1f KiB heap + %.1f KiB stack = %.1f KiB, %.1f goroutines",
		heap/1024, stack/1024, (heap+stack)/1024, relayed.goroutines-direct.goroutines)
	// A regression guard, far above what it measures (about 40 KiB).
	if heap+stack > 256<<10 {
		t.Errorf("an idle relay costs %.0f KiB, more than 256 KiB", (heap+stack)/1024)
	}
}

// BenchmarkIdleRelay reports the same as metrics.
func BenchmarkIdleRelay(b *testing.B) {
	up := newUpstream(b, nil, echo)
	f := newFront(b, up.addr(), nil)
	var heap, stack, g float64
	for b.Loop() {
		direct, relayed := relayCost(b, up, f)
		heap += relayed.heap - direct.heap
		stack += relayed.stack - direct.stack
		g += relayed.goroutines - direct.goroutines
	}
	n := float64(b.N)
	b.ReportMetric(heap/n, "heap-B/conn")
	b.ReportMetric(stack/n, "stack-B/conn")
	b.ReportMetric(g/n, "goroutines/conn")
}
