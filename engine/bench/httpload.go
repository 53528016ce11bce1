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
}

// targets are the ways to the backend: directly, through the reference Go
// proxy, through CHP, through the appliance over plain HTTP and over HTTPS (authenticated with the bench
// user's token: the appliance checks every request).
func (r *rig) targets() []target {
	auth := http.Header{"Authorization": {"Bearer " + r.app.token}}
	ts := []target{{name: tDirect, root: "http://" + r.backendAddr}, {name: tGoProxy, root: "http://" + r.goproxyAddr}, {name: tCHP, root: "http://" + r.chp.addr}}
	ts = append(ts,
		target{name: tAppliance, root: r.app.plainURL(), header: auth},
		target{name: tTLS, root: r.app.httpsURL(), header: auth, tls: r.app.tlsConfig()},
	)
	for i := range ts {
		ts[i].base = baseOf(ts[i], r.app.routeID)
	}
	return ts
}

// attack sends GETs to url for d: with rate 0, as fast as workers
// concurrent clients can (one connection each); else at that many per
// second.
func attack(ctx context.Context, t target, url string, workers uint64, rate int, d time.Duration) (*vegeta.Metrics, error) {
	opts := []func(*vegeta.Attacker){
		vegeta.KeepAlive(true), vegeta.HTTP2(false), vegeta.Timeout(10 * time.Second),
		vegeta.Workers(workers), vegeta.MaxWorkers(workers),
		vegeta.Connections(int(workers)), vegeta.MaxConnections(int(workers)),
	}
	if rate > 0 {
		// Enough workers that a slow answer never holds the rate back.
		opts = append(opts, vegeta.MaxWorkers(256), vegeta.Connections(256), vegeta.MaxConnections(256))
	}
	if t.tls != nil {
		opts = append(opts, vegeta.TLSConfig(t.tls))
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
			m, err := attack(ctx, t, t.base, c, 0, d)
			prof.save()
			if err != nil {
				return err
			}
			metric := fmt.Sprintf("http.c%d", c)
			res.add(Sample{Metric: metric + ".rps", Target: t.name, Round: round, Value: m.Throughput, Unit: "req/s", Extra: map[string]any{"requests": m.Requests}})
			res.add(Sample{Metric: metric + ".p50", Target: t.name, Round: round, Value: ms(m.Latencies.P50), Unit: "ms"})
			res.add(Sample{Metric: metric + ".p99", Target: t.name, Round: round, Value: ms(m.Latencies.P99), Unit: "ms"})
		}
		rate := r.opts.fixedRate()
		m, err := attack(ctx, t, t.base, 16, rate, d)
		if err != nil {
			return err
		}
		res.add(Sample{Metric: "http.rate.p50", Target: t.name, Round: round, Value: ms(m.Latencies.P50), Unit: "ms", Extra: map[string]any{"rate": rate, "achieved": m.Rate}})
		res.add(Sample{Metric: "http.rate.p99", Target: t.name, Round: round, Value: ms(m.Latencies.P99), Unit: "ms", Extra: map[string]any{"rate": rate}})
	}
	return nil
}
