package wsrelay_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/simphony/simphony-remote/engine/wsrelay"
)

func TestRoundTrip(t *testing.T) {
	noLeaks(t)
	up := newUpstream(t, nil, echo)
	f := newFront(t, up.addr(), nil)
	c := f.dial(t, "/user/alice/containers/x/ws", nil)
	tests := []struct {
		name string
		typ  websocket.MessageType
		size int
	}{
		{"empty binary", websocket.MessageBinary, 0},
		{"empty text", websocket.MessageText, 0},
		{"small binary", websocket.MessageBinary, 10},
		{"small text", websocket.MessageText, 100},
		{"one chunk exactly", websocket.MessageBinary, 32 << 10},
		{"a chunk and a byte", websocket.MessageText, 32<<10 + 1},
		{"several chunks", websocket.MessageBinary, 200<<10 + 7},
		{"a megabyte of text", websocket.MessageText, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := []byte(strings.Repeat("0123456789abcdef", tt.size/16+1)[:tt.size])
			ctx := within(t, 10*time.Second)
			if err := c.Write(ctx, tt.typ, msg); err != nil {
				t.Fatal(err)
			}
			typ, got, err := c.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if typ != tt.typ || !bytes.Equal(got, msg) {
				t.Fatalf("got a %v message of %d bytes, want a %v one of %d", typ, len(got), tt.typ, len(msg))
			}
		})
	}
	_ = c.Close(websocket.StatusNormalClosure, "")
	if err := f.wait(t); err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestUpstreamSpeaksFirst(t *testing.T) {
	noLeaks(t)
	up := newUpstream(t, nil, func(ctx context.Context, c *websocket.Conn) error {
		for i := range 50 {
			typ := websocket.MessageBinary
			if i%2 == 1 {
				typ = websocket.MessageText
			}
			if err := c.Write(ctx, typ, []byte(fmt.Sprint(i))); err != nil {
				return err
			}
		}
		return c.Close(websocket.StatusNormalClosure, "all sent")
	})
	f := newFront(t, up.addr(), nil)
	c := f.dial(t, "/", nil)
	ctx := within(t, 10*time.Second)
	for i := range 50 {
		typ, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if string(b) != fmt.Sprint(i) || (typ == websocket.MessageText) != (i%2 == 1) {
			t.Fatalf("message %d: a %v message %q", i, typ, b)
		}
	}
	if ce := closeStatus(t, c); ce.Code != websocket.StatusNormalClosure || ce.Reason != "all sent" {
		t.Errorf("closed with %v, want the upstream's 1000 \"all sent\"", ce)
	}
	_ = f.wait(t)
}

func TestSubprotocols(t *testing.T) {
	tests := []struct {
		name     string
		upstream []string
		client   []string
		want     string
	}{
		{"the one both speak", []string{"binary"}, []string{"base64", "binary"}, "binary"},
		{"the upstream's preference", []string{"v2", "v1"}, []string{"v1", "v2"}, "v2"},
		{"the upstream speaks none of them", []string{"binary"}, []string{"base64"}, ""},
		{"the client offers none", []string{"binary"}, nil, ""},
		{"the upstream has none", nil, []string{"binary"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeaks(t)
			up := newUpstream(t, tt.upstream, echo)
			f := newFront(t, up.addr(), nil)
			c := f.dial(t, "/", &websocket.DialOptions{Subprotocols: tt.client})
			if got := c.Subprotocol(); got != tt.want {
				t.Errorf("client got subprotocol %q, want %q", got, tt.want)
			}
			r := <-up.requests
			var offered []string
			for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
				for p := range strings.SplitSeq(v, ",") {
					offered = append(offered, strings.TrimSpace(p))
				}
			}
			if !slices.Equal(offered, tt.client) {
				t.Errorf("upstream was offered %q, want the client's %q", offered, tt.client)
			}
			_ = c.Close(websocket.StatusNormalClosure, "")
			_ = f.wait(t)
		})
	}
}

func TestHeadersAndPath(t *testing.T) {
	noLeaks(t)
	up := newUpstream(t, nil, echo)
	f := newFront(t, up.addr(), func(r *http.Request) wsrelay.Options {
		return wsrelay.Options{Header: http.Header{"X-Remote-User": {"bob"}, "X-Extra": {"1", "2"}}}
	})
	h := http.Header{
		"Origin":        {f.URL},
		"User-Agent":    {"test-agent/1"},
		"Cookie":        {"_xsrf=abc; theme=dark"},
		"Authorization": {"Basic Ym9iOnNlY3JldA=="},
		"X-Remote-User": {"mallory"},
		"X-Other":       {"not relayed"},
	}
	path := "/user/alice/containers/abc/api/kernels/1/channels?session_id=x%2Fy&token=t"
	c := f.dial(t, path, &websocket.DialOptions{HTTPHeader: h})
	r := <-up.requests
	if got := r.URL.RequestURI(); got != path {
		t.Errorf("upstream got %q, want %q", got, path)
	}
	want := map[string]string{
		"Origin":            f.URL,
		"User-Agent":        "test-agent/1",
		"Cookie":            "_xsrf=abc; theme=dark",
		"X-Remote-User":     "bob",
		"X-Extra":           "1",
		"X-Forwarded-For":   "127.0.0.1",
		"X-Forwarded-Proto": "http",
		"X-Forwarded-Host":  strings.TrimPrefix(f.URL, "http://"),
		"Authorization":     "",
		"X-Other":           "",
	}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("upstream got %s: %q, want %q", k, got, v)
		}
	}
	if got := r.Header.Values("X-Extra"); len(got) != 2 {
		t.Errorf("X-Extra: %q, want both values", got)
	}
	if got := r.Host; got != strings.TrimPrefix(f.URL, "http://") {
		t.Errorf("upstream got Host %q, want the client's", got)
	}
	_ = c.Close(websocket.StatusNormalClosure, "")
	_ = f.wait(t)
}
