package wsrelay_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/wsrelay"
)

// TestTrafficIsActivity: a message from the client and one from the
// upstream each move the session's last activity, read from the relay's
// clock.
func TestTrafficIsActivity(t *testing.T) {
	noLeaks(t)
	table := routes.New()
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	table.Put(routes.Route{URLID: "s", Started: start})
	route, _ := table.Get("s")
	lastActive := func() time.Time {
		r, _ := table.Get("s")
		return r.LastActive()
	}
	var clock atomic.Int64
	setClock := func(t time.Time) { clock.Store(t.UnixNano()) }

	got := make(chan string, 1)
	send := make(chan string)
	up := newUpstream(t, nil, func(ctx context.Context, c *websocket.Conn) error {
		_, b, err := c.Read(ctx)
		if err != nil {
			return err
		}
		got <- string(b)
		if err := c.Write(ctx, websocket.MessageText, []byte(<-send)); err != nil {
			return err
		}
		_, _, err = c.Read(ctx) // until the client closes
		return err
	})
	f := newFront(t, up.addr(), func(*http.Request) wsrelay.Options {
		return wsrelay.Options{
			Traffic: route.Traffic,
			Now:     func() time.Time { return time.Unix(0, clock.Load()) },
		}
	})
	c := f.dial(t, "/ws", nil)
	ctx := within(t, 10*time.Second)

	setClock(start.Add(time.Hour))
	if err := c.Write(ctx, websocket.MessageText, []byte("from the client")); err != nil {
		t.Fatal(err)
	}
	if m := <-got; m != "from the client" {
		t.Fatalf("the upstream got %q", m)
	}
	if a := lastActive(); !a.Equal(start.Add(time.Hour)) {
		t.Errorf("after a message from the client, LastActive = %v, want %v", a, start.Add(time.Hour))
	}

	setClock(start.Add(2 * time.Hour))
	send <- "from the upstream"
	if _, b, err := c.Read(ctx); err != nil || string(b) != "from the upstream" {
		t.Fatalf("the client got %q, %v", b, err)
	}
	if a := lastActive(); !a.Equal(start.Add(2 * time.Hour)) {
		t.Errorf("after a message from the upstream, LastActive = %v, want %v", a, start.Add(2*time.Hour))
	}
	_ = c.Close(websocket.StatusNormalClosure, "")
	if err := f.wait(t); err != nil {
		t.Errorf("Serve: %v", err)
	}
}
