package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sync/errgroup"

	"github.com/simphony/simphony-remote/engine/auth"
)

// measureMemory measures the proxy's resident memory per idle proxied
// WebSocket (CHP over HTTP and HTTPS, the appliance over HTTP and HTTPS),
// each on a freshly started process of its own, so that no earlier
// phase's heap is carried in, and the appliance's per signed-in user.
func (r *rig) measureMemory(ctx context.Context, res *Results, round int) error {
	n := r.opts.idleSockets()
	for _, name := range rotate([]string{tCHP, tCHPTLS, tAppliance, tTLS}, round) {
		kb, extra, err := r.freshIdleSockets(ctx, name, n, round == 0 && name == tTLS)
		if err != nil {
			return err
		}
		res.add(Sample{Metric: "mem.ws", Target: name, Round: round, Value: kb, Unit: "KB", Extra: extra})
		if g, ok := extra["goroutines_added"].(int); ok && (name == tAppliance || name == tTLS) {
			res.add(Sample{Metric: "mem.ws.goroutines", Target: name, Round: round, Value: float64(g) / float64(n), Unit: "goroutines"})
		}
	}
	kb, extra, err := r.signedInUsers(ctx, r.opts.users())
	if err != nil {
		return err
	}
	res.add(Sample{Metric: "mem.user", Target: tAppliance, Round: round, Value: kb, Unit: "KB", Extra: extra})
	return nil
}

// freshIdleSockets starts a new process of the proxy behind target name
// (pinned as the others), measures idle WebSockets through it and stops
// it.
func (r *rig) freshIdleSockets(ctx context.Context, name string, n int, profile bool) (float64, map[string]any, error) {
	var (
		t    target
		mem  func(context.Context) (memoryInfo, error)
		stop func()
		tail func() string // the end of its log, for errors
		ctl  *controlClient
	)
	switch name {
	case tCHP, tCHPTLS:
		c, err := r.startCHP(ctx, name+"-fresh", name == tCHPTLS)
		if err != nil {
			return 0, nil, err
		}
		stop, tail = c.proc.Stop, c.proc.tail
		t = target{name: name, root: "http://" + c.addr}
		if name == tCHPTLS {
			t.root, t.tls = "https://"+c.addr, r.chpTLSConfig()
		}
		t.base = baseOf(t, r.app.routeID)
		pid := c.proc.Pid()
		mem = func(context.Context) (memoryInfo, error) {
			// Node's garbage is not collected first: CHP gets no
			// such help, and its number is an upper bound.
			return readStatus(fmt.Sprintf("/proc/%d/status", pid))
		}
	case tAppliance, tTLS:
		a, err := r.startAppliance(ctx, name+"-fresh", r.realm+"-fresh")
		if err != nil {
			return 0, nil, err
		}
		stop, tail = a.proc.Stop, a.proc.tail
		t = target{name: name, root: a.plainURL(), header: http.Header{"Authorization": {"Bearer " + a.token}}}
		if name == tTLS {
			t.root, t.tls = a.httpsURL(), a.tlsConfig()
		}
		t.base = baseOf(t, a.routeID)
		mem, ctl = a.ctl.memory, a.ctl
	default:
		return 0, nil, fmt.Errorf("no fresh process for %s", name)
	}
	defer stop()
	if !profile {
		ctl = nil
	}
	kb, extra, err := r.idleSockets(ctx, t, n, mem, ctl)
	if err != nil && tail != nil {
		err = fmt.Errorf("%w%s", err, tail())
	}
	return kb, extra, err
}

// idleSockets opens n WebSockets through t, each carrying 64 KiB down
// once, and returns the growth of the proxy's resident memory per connection.
func (r *rig) idleSockets(ctx context.Context, t target, n int, mem func(context.Context) (memoryInfo, error), profile *controlClient) (float64, map[string]any, error) {
	client := wsClient(t)
	defer client.CloseIdleConnections()
	m0, err := mem(ctx)
	if err != nil {
		return 0, nil, err
	}
	conns := make([]*websocket.Conn, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.CloseNow()
			}
		}
	}()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	// A small message up, 64 KiB down first, as a desktop draws its
	// screen: the proxy's buffers have been used before it idles.
	for i := range conns {
		g.Go(func() error {
			c, err := dialWS(gctx, t, client)
			if err != nil {
				return err
			}
			conns[i] = c
			if err := c.Write(gctx, websocket.MessageText, []byte("send:65536")); err != nil {
				return err
			}
			_, got, err := c.Read(gctx)
			if err == nil && len(got) != 64<<10 {
				err = fmt.Errorf("got %d bytes, want 64 KiB", len(got))
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, nil, fmt.Errorf("%s: %d idle WebSockets: %w", t.name, n, err)
	}
	// Let the proxy settle: handshakes done, goroutines parked.
	if err := sleep(ctx, 500*time.Millisecond); err != nil {
		return 0, nil, err
	}
	m1, err := mem(ctx)
	if err != nil {
		return 0, nil, err
	}
	if profile != nil {
		r.heapProfile(ctx, profile, "appliance-heap-websockets.pprof")
	}
	kb := float64(m1.RSSKB-m0.RSSKB) / float64(n)
	extra := map[string]any{
		"connections": n, "rss_before_kb": m0.RSSKB, "rss_after_kb": m1.RSSKB,
		"heap_per_conn_kb":  float64(m1.HeapKB-m0.HeapKB) / float64(n),
		"stack_per_conn_kb": float64(m1.StackKB-m0.StackKB) / float64(n),
		"goroutines_added":  m1.Goroutines - m0.Goroutines,
	}
	return kb, extra, nil
}

// signedInUsers signs n users in (creating them in the first round) and
// returns the growth of the appliance's resident memory per user. Each
// signed-in browser then makes one request with its cookie.
func (r *rig) signedInUsers(ctx context.Context, n int) (float64, map[string]any, error) {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("mem%04d", i)
	}
	if err := r.app.ctl.call(ctx, http.MethodPost, "/users", usersRequest{Names: names}, nil); err != nil {
		return 0, nil, err
	}
	m0, err := r.app.ctl.memory(ctx)
	if err != nil {
		return 0, nil, err
	}
	t0 := time.Now()
	var logins []login
	if err := r.app.ctl.call(ctx, http.MethodPost, "/logins", loginsRequest{Names: names}, &logins); err != nil {
		return 0, nil, err
	}
	signIn := time.Since(t0)
	client := r.app.apiClient()
	defer client.CloseIdleConnections()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, l := range logins {
		g.Go(func() error {
			req, _ := http.NewRequestWithContext(gctx, http.MethodGet, r.app.httpsURL()+"/api/v1/me", nil)
			req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: l.Secret})
			var me struct{ Name string }
			if err := doJSON(client, req, http.StatusOK, &me); err != nil {
				return err
			}
			if me.Name != l.Name {
				return fmt.Errorf("signed in as %s, the appliance says %s", l.Name, me.Name)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, nil, fmt.Errorf("requests of the signed-in users: %w", err)
	}
	client.CloseIdleConnections()
	m1, err := r.app.ctl.memory(ctx)
	if err != nil {
		return 0, nil, err
	}
	if err := r.app.ctl.call(ctx, http.MethodPost, "/logouts", loginsRequest{Names: names}, nil); err != nil {
		return 0, nil, err
	}
	kb := float64(m1.RSSKB-m0.RSSKB) / float64(n)
	return kb, map[string]any{
		"users": n, "rss_before_kb": m0.RSSKB, "rss_after_kb": m1.RSSKB,
		"heap_per_user_kb":     float64(m1.HeapKB-m0.HeapKB) / float64(n),
		"rss_file_per_user_kb": float64(m1.RSSFileKB-m0.RSSFileKB) / float64(n),
		"sign_in_ms_each":      float64(signIn.Microseconds()) / 1000 / float64(n),
	}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
