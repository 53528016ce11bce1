package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// target is one way to the backend's route.
type target struct {
	name   string
	root   string // scheme://host:port
	base   string // the bench route's URL: root + its path + /
	header http.Header
	tls    *tls.Config
	// client carries every HTTP measurement of the target, so that its
	// connections, opened by the warm-up, stay open from one measurement
	// to the next: a fresh client per measurement put a burst of TLS
	// handshakes into every measured window, and at a fixed rate over
	// HTTPS that burst slowed answers, which made vegeta open more
	// connections, whose handshakes slowed answers further.
	client *http.Client
	// pid is the proxy's process, whose CPU time the HTTP measurements
	// read (0 for the direct way: no proxy).
	pid int
}

// httpClient returns the target's client, made on first use.
func (r *rig) httpClient(name string, tlsConfig *tls.Config) *http.Client {
	if c, ok := r.clients[name]; ok {
		return c
	}
	if r.clients == nil {
		r.clients = map[string]*http.Client{}
	}
	c := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     tlsConfig,
			MaxIdleConnsPerHost: maxWorkers,
			// HTTP/1.1 only, as browsers reach a session's WebSockets and
			// as CHP serves.
			TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
		},
	}
	r.clients[name] = c
	return c
}

// maxWorkers bounds the concurrent requests (and connections) of a
// fixed-rate attack: enough that a slow answer never holds the rate back.
const maxWorkers = 256

// targets are the ways to the backend: directly, through the reference Go
// proxy, through CHP, through the appliance over plain HTTP and over HTTPS (authenticated with the bench
// user's token: the appliance checks every request).
func (r *rig) targets() []target {
	auth := http.Header{"Authorization": {"Bearer " + r.app.token}}
	ts := []target{{name: tDirect, root: "http://" + r.backendAddr},
		{name: tGoProxy, root: "http://" + r.goproxyAddr, pid: r.goproxy.Pid()},
		{name: tCHP, root: "http://" + r.chp.addr, pid: r.chp.proc.Pid()},
		{name: tCHPTLS, root: "https://" + r.chpTLS.addr, tls: r.chpTLSConfig(), pid: r.chpTLS.proc.Pid()}}
	ts = append(ts,
		target{name: tAppliance, root: r.app.plainURL(), header: auth, pid: r.app.proc.Pid()},
		target{name: tTLS, root: r.app.httpsURL(), header: auth, tls: r.app.tlsConfig(), pid: r.app.proc.Pid()},
	)
	for i := range ts {
		ts[i].base = baseOf(ts[i], r.app.routeID)
		ts[i].client = r.httpClient(ts[i].name, ts[i].tls)
	}
	return ts
}

// attack sends GETs to url for d: with rate 0, as fast as workers
// concurrent clients can (one connection each); else at that many per
// second.
func attack(ctx context.Context, t target, url string, workers uint64, rate int, d time.Duration) (*vegeta.Metrics, error) {
	// Only options that leave the shared client's transport alone: the
	// others change it, while it may still be closing connections.
	opts := []func(*vegeta.Attacker){vegeta.Client(t.client), vegeta.Workers(workers), vegeta.MaxWorkers(workers)}
	if rate > 0 {
		opts = append(opts, vegeta.MaxWorkers(maxWorkers))
	}
	a := vegeta.NewAttacker(opts...)
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: url, Header: t.header})
	stop := context.AfterFunc(ctx, func() { a.Stop() })
	defer stop()
	var m vegeta.Metrics
	for res := range a.Attack(tr, vegeta.Rate{Freq: rate, Per: time.Second}, d, t.name) {
		m.Add(res)
	}
	m.Close()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if m.Requests == 0 {
		return nil, fmt.Errorf("%s: no request was sent", t.name)
	}
	if m.Success < 1 {
		return &m, fmt.Errorf("%s: %.2f%% of %d requests failed: %v (status codes %v)", t.name, 100*(1-m.Success), m.Requests, m.Errors, m.StatusCodes)
	}
	return &m, nil
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// measureHTTP measures each target at concurrency 1 and 16 (as fast as it
// goes) and at a fixed rate.
func (r *rig) measureHTTP(ctx context.Context, res *Results, round int) error {
	d := r.opts.duration()
	for _, t := range rotate(r.targets(), round) {
		// Warm up: connections, caches, the Go and V8 runtimes.
		if _, err := attack(ctx, t, t.base, 16, 0, d/4); err != nil {
			return err
		}
		for _, c := range []uint64{1, 16} {
			var prof *profile
			if c == 16 && t.name == tAppliance && round == 0 {
				prof = r.startCPUProfile(ctx, d)
			}
			cpu0, err := r.cpu(t)
			if err != nil {
				return err
			}
			m, err := attack(ctx, t, t.base, c, 0, d)
			prof.save()
			if err != nil {
				return err
			}
			metric := fmt.Sprintf("http.c%d", c)
			if err := r.addCPU(res, metric+".cpu", t, round, cpu0, m.Requests); err != nil {
				return err
			}
			res.add(Sample{Metric: metric + ".rps", Target: t.name, Round: round, Value: m.Throughput, Unit: "req/s", Extra: map[string]any{"requests": m.Requests}})
			res.add(Sample{Metric: metric + ".p50", Target: t.name, Round: round, Value: ms(m.Latencies.P50), Unit: "ms"})
			res.add(Sample{Metric: metric + ".p99", Target: t.name, Round: round, Value: ms(m.Latencies.P99), Unit: "ms"})
		}
		rate := r.opts.fixedRate()
		cpu0, err := r.cpu(t)
		if err != nil {
			return err
		}
		m, err := attack(ctx, t, t.base, 16, rate, d)
		if err != nil {
			return err
		}
		if err := r.addCPU(res, "http.rate.cpu", t, round, cpu0, m.Requests); err != nil {
			return err
		}
		res.add(Sample{Metric: "http.rate.p50", Target: t.name, Round: round, Value: ms(m.Latencies.P50), Unit: "ms", Extra: map[string]any{"rate": rate, "achieved": m.Rate}})
		res.add(Sample{Metric: "http.rate.p99", Target: t.name, Round: round, Value: ms(m.Latencies.P99), Unit: "ms", Extra: map[string]any{"rate": rate}})
	}
	return nil
}

// cpu is t's proxy's CPU time so far in clock ticks (0 without a proxy).
func (r *rig) cpu(t target) (int64, error) {
	if t.pid == 0 {
		return 0, nil
	}
	return cpuTicks(t.pid)
}

// addCPU records the proxy's CPU time (user + system) per request served
// since it had used ticks0, in µs.
func (r *rig) addCPU(res *Results, metric string, t target, round int, ticks0 int64, requests uint64) error {
	if t.pid == 0 || requests == 0 {
		return nil
	}
	ticks1, err := cpuTicks(t.pid)
	if err != nil {
		return fmt.Errorf("%s: the proxy's CPU time: %w", t.name, err)
	}
	us := float64(ticks1-ticks0) * 1e6 / float64(r.ticks) / float64(requests)
	res.add(Sample{Metric: metric, Target: t.name, Round: round, Value: us, Unit: "µs",
		Extra: map[string]any{"cpu_ticks": ticks1 - ticks0, "clk_tck": r.ticks, "requests": requests}})
	return nil
}
