package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/coder/websocket"
)

// The backend stands in for a session's application: it answers every
// path with a small fixed body, and echoes WebSocket messages on any path
// ending in /ws. The three ways to it (direct, CHP, the appliance) reach
// the same process.

// backendBody is the answer to every HTTP request: small, as most of an
// application's requests (noVNC's files aside) are.
var backendBody = []byte(strings.Repeat("simphony-remote bench backend. ", 4)[:120] + "\n")

type backendConfig struct {
	Listen string `json:"listen"`
}

type backendReady struct {
	Addr string `json:"addr"`
}

func serveBackend(raw string) error {
	var cfg backendConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return fmt.Errorf("reading the configuration: %w", err)
	}
	return serveHTTP(cfg.Listen, backendHandler())
}

func backendHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/ws") {
			echo(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", fmt.Sprint(len(backendBody)))
		_, _ = w.Write(backendBody)
	})
}

// wsReadLimit bounds a message: the largest the harness sends is 64 KiB.
const wsReadLimit = 1 << 20

// echo sends every WebSocket message back, streaming it through a buffer
// rather than holding it whole. A text message "send:N" is answered with N
// bytes instead, as a desktop answers a small request with a screenful.
func echo(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(wsReadLimit)
	ctx := r.Context()
	var buf []byte
	for {
		typ, rd, err := c.Reader(ctx)
		if err != nil {
			return
		}
		if buf == nil {
			buf = make([]byte, 32<<10)
		}
		if typ == websocket.MessageText {
			n, _ := io.ReadFull(rd, buf[:32])
			if size, ok := strings.CutPrefix(string(buf[:n]), "send:"); ok {
				if err := send(ctx, c, size); err != nil {
					return
				}
				continue
			}
			rd = io.MultiReader(bytes.NewReader(buf[:n:n]), rd)
		}
		wr, err := c.Writer(ctx, typ)
		if err != nil {
			return
		}
		if _, err := io.CopyBuffer(wr, rd, buf[32:]); err != nil {
			return
		}
		if err := wr.Close(); err != nil {
			return
		}
	}
}

// send writes one binary message of size bytes.
func send(ctx context.Context, c *websocket.Conn, size string) error {
	n, err := strconv.Atoi(size)
	if err != nil || n < 0 || n > wsReadLimit {
		return fmt.Errorf("bad size %q", size)
	}
	return c.Write(ctx, websocket.MessageBinary, make([]byte, n))
}
