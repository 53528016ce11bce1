package wsrelay_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/simphony/simphony-remote/engine/wsrelay"
)

func TestCloseIsMirrored(t *testing.T) {
	t.Run("the client closes", func(t *testing.T) {
		noLeaks(t)
		up := newUpstream(t, nil, echo)
		f := newFront(t, up.addr(), nil)
		c := f.dial(t, "/", nil)
		_ = c.Close(4001, "bye")
		err := up.endedWith(t)
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != 4001 || ce.Reason != "bye" {
			t.Errorf("upstream read %v, want the client's 4001 bye", err)
		}
		_ = f.wait(t)
	})
	t.Run("the upstream closes", func(t *testing.T) {
		noLeaks(t)
		up := newUpstream(t, nil, func(ctx context.Context, c *websocket.Conn) error {
			return c.Close(4002, "session stopped")
		})
		f := newFront(t, up.addr(), nil)
		c := f.dial(t, "/", nil)
		if ce := closeStatus(t, c); ce.Code != 4002 || ce.Reason != "session stopped" {
			t.Errorf("client closed with %v, want the upstream's 4002", ce)
		}
		_ = f.wait(t)
	})
	t.Run("the upstream breaks", func(t *testing.T) {
		noLeaks(t)
		up := newUpstream(t, nil, func(ctx context.Context, c *websocket.Conn) error {
			return c.CloseNow()
		})
		f := newFront(t, up.addr(), nil)
		c := f.dial(t, "/", nil)
		if ce := closeStatus(t, c); ce.Code != websocket.StatusGoingAway {
			t.Errorf("client closed with %v, want going away", ce)
		}
		_ = f.wait(t)
	})
}

func TestMessageLimit(t *testing.T) {
	noLeaks(t)
	up := newUpstream(t, nil, echo)
	f := newFront(t, up.addr(), func(*http.Request) wsrelay.Options { return wsrelay.Options{MessageLimit: 1024} })
	c := f.dial(t, "/", nil)
	ctx := within(t, 10*time.Second)
	if err := c.Write(ctx, websocket.MessageBinary, make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	if _, b, err := c.Read(ctx); err != nil || len(b) != 1024 {
		t.Fatalf("a message at the limit: %d bytes, %v", len(b), err)
	}
	_ = c.Write(ctx, websocket.MessageBinary, make([]byte, 1025))
	if ce := closeStatus(t, c); ce.Code != websocket.StatusMessageTooBig {
		t.Errorf("closed with %v, want message too big", ce)
	}
	_ = f.wait(t)
}

func TestContextEnds(t *testing.T) {
	tests := []struct {
		name  string
		cause error
		want  websocket.CloseError
	}{
		{"no reason", nil, websocket.CloseError{Code: websocket.StatusGoingAway, Reason: wsrelay.GoingAway.Reason}},
		{"a close reason", wsrelay.CloseReason{Code: 4003, Reason: "share expired"}, websocket.CloseError{Code: 4003, Reason: "share expired"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeaks(t)
			up := newUpstream(t, nil, echo)
			cancels := make(chan context.CancelCauseFunc, 1)
			served := make(chan error, 1)
			f := newPlainServer(t, func(w http.ResponseWriter, r *http.Request) {
				ctx, cancel := context.WithCancelCause(r.Context())
				defer cancel(nil)
				cancels <- cancel
				served <- wsrelay.Serve(ctx, w, r, up.addr(), wsrelay.Options{})
			})
			c, _, err := websocket.Dial(within(t, 10*time.Second), "ws://"+f.addr()+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			(<-cancels)(tt.cause)
			if ce := closeStatus(t, c); ce != tt.want {
				t.Errorf("client closed with %v, want %v", ce, tt.want)
			}
			err = up.endedWith(t)
			if ce := (websocket.CloseError{}); !errors.As(err, &ce) || ce != tt.want {
				t.Errorf("upstream closed with %v, want %v", err, tt.want)
			}
			if err := <-served; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
}
