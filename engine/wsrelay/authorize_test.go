package wsrelay_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"

	"github.com/simphony/simphony-remote/engine/wsrelay"
)

// TestAuthorizeAfterAccepting: Authorize is asked once the client is
// accepted, and false closes both sides at once with a policy violation.
func TestAuthorizeAfterAccepting(t *testing.T) {
	noLeaks(t)
	up := newUpstream(t, nil, func(ctx context.Context, c *websocket.Conn) error {
		_, _, err := c.Read(ctx)
		return err
	})
	var asked atomic.Int32
	f := newFront(t, up.addr(), func(r *http.Request) wsrelay.Options {
		return wsrelay.Options{Authorize: func() bool {
			asked.Add(1)
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
	if asked.Load() != 1 {
		t.Errorf("Authorize was asked %d times, want once", asked.Load())
	}
}
