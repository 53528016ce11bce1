package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// dialWS opens a WebSocket to the backend's echo through a target.
func dialWS(ctx context.Context, t target, client *http.Client) (*websocket.Conn, error) {
	url := strings.Replace(strings.Replace(t.base, "http://", "ws://", 1), "https://", "wss://", 1) + "ws"
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: client, HTTPHeader: t.header})
	if err != nil {
		status := ""
		if resp != nil {
			status = " (" + resp.Status + ")"
		}
		return nil, fmt.Errorf("%s: opening a WebSocket%s: %w", t.name, status, err)
	}
	c.SetReadLimit(wsReadLimit)
	return c, nil
}

// wsClient is an HTTP client for WebSocket handshakes through a target.
func wsClient(t target) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: t.tls, ForceAttemptHTTP2: false}}
}

// measureWebSocket measures the round trip of small messages over 10
// connections, and the throughput of 64 KiB messages over one.
func (r *rig) measureWebSocket(ctx context.Context, res *Results, round int) error {
	d := r.opts.duration()
	for _, t := range rotate(r.targets(), round) {
		p50, p99, n, err := wsRoundTrip(ctx, t, 10, 64, d)
		if err != nil {
			return err
		}
		res.add(Sample{Metric: "ws.rtt.p50", Target: t.name, Round: round, Value: p50, Unit: "ms", Extra: map[string]any{"messages": n}})
		res.add(Sample{Metric: "ws.rtt.p99", Target: t.name, Round: round, Value: p99, Unit: "ms"})
		cpu0, err := r.cpu(t)
		if err != nil {
			return err
		}
		t0 := time.Now()
		mbs, err := wsThroughput(ctx, t, 64<<10, d)
		if err != nil {
			return err
		}
		res.add(Sample{Metric: "ws.tput", Target: t.name, Round: round, Value: mbs, Unit: "MB/s"})
		// How busy the proxy was: near 1, it is what limits the
		// throughput; below, the load generator's core is.
		if t.pid != 0 {
			cpu1, err := r.cpu(t)
			if err != nil {
				return err
			}
			busy := float64(cpu1-cpu0) / float64(r.ticks) / time.Since(t0).Seconds()
			res.add(Sample{Metric: "ws.tput.cpu", Target: t.name, Round: round, Value: busy, Unit: "cores"})
		}
	}
	return nil
}

// wsRoundTrip sends size-byte messages over conns connections for d, each
// waiting for its echo, and returns the p50 and p99 round trip in ms.
func wsRoundTrip(ctx context.Context, t target, conns, size int, d time.Duration) (p50, p99 float64, n int, err error) {
	client := wsClient(t)
	defer client.CloseIdleConnections()
	var (
		mu   sync.Mutex
		all  []time.Duration
		errs = make(chan error, conns)
		wg   sync.WaitGroup
	)
	cs := make([]*websocket.Conn, conns)
	for i := range cs {
		if cs[i], err = dialWS(ctx, t, client); err != nil {
			for _, c := range cs[:i] {
				c.CloseNow()
			}
			return 0, 0, 0, err
		}
	}
	msg := make([]byte, size)
	_, _ = rand.Read(msg)
	end := time.Now().Add(d)
	for _, c := range cs {
		wg.Go(func() {
			defer c.CloseNow()
			var lat []time.Duration
			for time.Now().Before(end) && ctx.Err() == nil {
				t0 := time.Now()
				if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
					errs <- err
					return
				}
				_, got, err := c.Read(ctx)
				if err != nil {
					errs <- err
					return
				}
				lat = append(lat, time.Since(t0))
				if len(got) != size {
					errs <- fmt.Errorf("echo of %d bytes, want %d", len(got), size)
					return
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, 0, fmt.Errorf("%s: WebSocket round trips: %w", t.name, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, 0, err
	}
	p50, p99 = durationQuantiles(all)
	return p50, p99, len(all), nil
}

// wsThroughput streams size-byte messages through one connection for d
// while reading their echoes, and returns the echoed megabytes per second.
func wsThroughput(ctx context.Context, t target, size int, d time.Duration) (float64, error) {
	client := wsClient(t)
	defer client.CloseIdleConnections()
	c, err := dialWS(ctx, t, client)
	if err != nil {
		return 0, err
	}
	defer c.CloseNow()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msg := make([]byte, size)
	_, _ = rand.Read(msg)
	writeErr := make(chan error, 1)
	go func() {
		for ctx.Err() == nil {
			if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- nil
	}()
	var echoed atomic.Int64
	// The first echo starts the clock: connection set-up is not throughput.
	readMsg := func() error {
		_, rd, err := c.Reader(ctx)
		if err != nil {
			return err
		}
		n, err := io.Copy(io.Discard, rd)
		echoed.Add(n)
		return err
	}
	if err := readMsg(); err != nil {
		return 0, fmt.Errorf("%s: WebSocket throughput: %w", t.name, err)
	}
	echoed.Store(0)
	t0 := time.Now()
	for time.Since(t0) < d {
		if err := readMsg(); err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, fmt.Errorf("%s: WebSocket throughput: %w", t.name, err)
		}
	}
	elapsed := time.Since(t0)
	cancel()
	c.CloseNow()
	<-writeErr
	return float64(echoed.Load()) / elapsed.Seconds() / 1e6, nil
}
