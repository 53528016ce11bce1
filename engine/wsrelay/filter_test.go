package wsrelay_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/simphony/simphony-remote/engine/wsrelay"
)

// dropper is a filter that drops "drop", upper-cases "up", and refuses
// "bad".
func dropper(msg []byte) ([]byte, error) {
	switch string(msg) {
	case "drop":
		return nil, nil
	case "up":
		return []byte("UP"), nil
	case "bad":
		return nil, errors.New("bad message")
	}
	return msg, nil
}

func TestFilter(t *testing.T) {
	tests := []struct {
		name    string
		send    []string
		want    []string // what the upstream gets, in order
		refused bool
	}{
		{"passes", []string{"a", "b"}, []string{"a", "b"}, false},
		{"drops", []string{"a", "drop", "b"}, []string{"a", "b"}, false},
		{"drops all", []string{"drop", "drop"}, nil, false},
		{"modifies", []string{"up", "a"}, []string{"UP", "a"}, false},
		{"refuses", []string{"a", "bad", "b"}, []string{"a"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeaks(t)
			got := make(chan string, 10)
			up := newUpstream(t, nil, func(ctx context.Context, c *websocket.Conn) error {
				for {
					_, b, err := c.Read(ctx)
					if err != nil {
						close(got)
						return err
					}
					got <- string(b)
				}
			})
			f := newFront(t, up.addr(), func(*http.Request) wsrelay.Options {
				return wsrelay.Options{Filter: wsrelay.FilterFunc(dropper)}
			})
			c := f.dial(t, "/", nil)
			ctx := within(t, 10*time.Second)
			for _, m := range tt.send {
				if err := c.Write(ctx, websocket.MessageBinary, []byte(m)); err != nil {
					t.Fatal(err)
				}
			}
			if tt.refused {
				if ce := closeStatus(t, c); ce.Code != websocket.StatusPolicyViolation {
					t.Errorf("client closed with %v, want a policy violation", ce)
				}
				if err := f.wait(t); err == nil || !strings.Contains(err.Error(), "bad message") {
					t.Errorf("Serve returned %v, want the filter's error", err)
				}
			} else {
				_ = c.Close(websocket.StatusNormalClosure, "")
				if err := f.wait(t); err != nil {
					t.Errorf("Serve: %v", err)
				}
			}
			wantEnd := websocket.StatusNormalClosure
			if tt.refused {
				wantEnd = websocket.StatusPolicyViolation
			}
			if err := up.endedWith(t); websocket.CloseStatus(err) != wantEnd {
				t.Errorf("upstream ended with %v, want %v", err, wantEnd)
			}
			var all []string
			for m := range got {
				all = append(all, m)
			}
			if !slices.Equal(all, tt.want) {
				t.Errorf("upstream got %q, want %q", all, tt.want)
			}
		})
	}
}

// observer records what the upstream sent and refuses "evil".
type observer struct {
	seen chan string
}

func (o *observer) Filter(msg []byte) ([]byte, error) { return msg, nil }

func (o *observer) ObserveServer(p []byte) error {
	o.seen <- string(p)
	if string(p) == "evil" {
		return errors.New("evil server")
	}
	return nil
}

func TestServerObserver(t *testing.T) {
	noLeaks(t)
	up := newUpstream(t, nil, func(ctx context.Context, c *websocket.Conn) error {
		_ = c.Write(ctx, websocket.MessageBinary, []byte("hello"))
		_ = c.Write(ctx, websocket.MessageBinary, []byte("evil"))
		_, _, err := c.Read(ctx)
		return err
	})
	o := &observer{seen: make(chan string, 10)}
	f := newFront(t, up.addr(), func(*http.Request) wsrelay.Options { return wsrelay.Options{Filter: o} })
	c := f.dial(t, "/", nil)
	ctx := within(t, 10*time.Second)
	_, got, err := c.Read(ctx)
	if err != nil || string(got) != "hello" {
		t.Fatalf("read %q, %v", got, err)
	}
	if s := <-o.seen; s != "hello" {
		t.Errorf("observed %q first", s)
	}
	if ce := closeStatus(t, c); ce.Code != websocket.StatusPolicyViolation {
		t.Errorf("closed with %v, want a policy violation (and never the evil message)", ce)
	}
	if err := f.wait(t); err == nil || !strings.Contains(err.Error(), "evil server") {
		t.Errorf("Serve returned %v", err)
	}
	if err := up.endedWith(t); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Errorf("upstream ended with %v, want a policy violation", err)
	}
}
