package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
)

// measureRoutes grows the route tables of the appliance and of CHP to each
// level and measures, at each, requests to the first and to the last route
// added, and the time to add and remove one more. Routes all lead to the
// backend; the first is the bench user's, used by everything else.
func (r *rig) measureRoutes(ctx context.Context, res *Results) error {
	appLast, chpLast := r.app.routeID, r.app.routeID
	have := 1
	d := r.opts.duration() / 2
	for _, level := range r.opts.routeLevels() {
		if add := level - have; add > 0 {
			t0 := time.Now()
			var ans routesAnswer
			if err := r.app.ctl.call(ctx, http.MethodPost, "/routes", routesRequest{N: add, User: benchUser, Upstream: r.backendAddr}, &ans); err != nil {
				return err
			}
			appLast = ans.Last
			last, err := r.chpGrow(ctx, add)
			if err != nil {
				return err
			}
			chpLast = last
			have = level
			r.logf("routes: %s in each table (%s)", count(level), time.Since(t0).Round(100*time.Millisecond))
		}
		for round := range r.opts.Rounds {
			var ts []target
			for _, t := range r.targets() {
				if t.name == tCHP || t.name == tAppliance {
					ts = append(ts, t)
				}
			}
			for _, t := range rotate(ts, round) {
				last := appLast
				if t.name == tCHP {
					last = chpLast
				}
				for _, which := range []struct{ name, id string }{{"first", r.app.routeID}, {"last", last}} {
					m, err := attack(ctx, t, baseOf(t, which.id), 1, 0, d)
					if err != nil {
						return fmt.Errorf("%s routes, the %s: %w", count(level), which.name, err)
					}
					res.add(Sample{Metric: fmt.Sprintf("routes.%d.%s", level, which.name), Target: t.name, Round: round, Value: ms(m.Latencies.P50), Unit: "ms",
						Extra: map[string]any{"p99_ms": ms(m.Latencies.P99), "requests": m.Requests}})
				}
			}
			if err := r.routeChurn(ctx, res, round, level); err != nil {
				return err
			}
		}
	}
	// Leave the appliance's table as it was.
	return r.app.ctl.call(ctx, http.MethodDelete, "/routes", nil, nil)
}

// baseOf is the URL of a route through a target.
func baseOf(t target, urlID string) string { return t.root + routePath(urlID) + "/" }

// routeChurn times adding and removing routes: in the appliance, the table
// operations a session start and stop make; in CHP, the REST calls
// JupyterHub makes.
func (r *rig) routeChurn(ctx context.Context, res *Results, round, level int) error {
	n := 1000
	if r.opts.Smoke {
		n = 20
	}
	var ch churnAnswer
	if err := r.app.ctl.call(ctx, http.MethodPost, "/routes/churn", routesRequest{N: n, User: benchUser, Upstream: r.backendAddr}, &ch); err != nil {
		return err
	}
	us := func(ns []int64) []float64 {
		out := make([]float64, len(ns))
		for i, v := range ns {
			out[i] = float64(v) / 1e3
		}
		slices.Sort(out)
		return out
	}
	add, rm := us(ch.AddNS), us(ch.RemoveNS)
	last := level == r.opts.routeLevels()[len(r.opts.routeLevels())-1]
	record := func(target string, add, rm []float64) {
		for _, m := range []struct {
			name string
			v    []float64
		}{{"add", add}, {"remove", rm}} {
			extra := map[string]any{"level": level, "ops": len(m.v), "p99_us": quantile(m.v, 0.99)}
			metric := fmt.Sprintf("routes.%d.%s", level, m.name)
			res.add(Sample{Metric: metric, Target: target, Round: round, Value: quantile(m.v, 0.5), Unit: "µs", Extra: extra})
			if last {
				res.add(Sample{Metric: "routes." + m.name, Target: target, Round: round, Value: quantile(m.v, 0.5), Unit: "µs", Extra: extra})
			}
		}
	}
	record(tAppliance, add, rm)
	m := 200
	if r.opts.Smoke {
		m = 10
	}
	var cadd, crm []float64
	ids := make([]string, m)
	for i := range ids {
		ids[i] = randomHex(16)
		t0 := time.Now()
		if err := r.chp.addRoute(ctx, routePath(ids[i]), "http://"+r.backendAddr); err != nil {
			return err
		}
		cadd = append(cadd, float64(time.Since(t0).Microseconds()))
	}
	for _, id := range slices.Backward(ids) {
		t0 := time.Now()
		if err := r.chp.deleteRoute(ctx, routePath(id)); err != nil {
			return err
		}
		crm = append(crm, float64(time.Since(t0).Microseconds()))
	}
	slices.Sort(cadd)
	slices.Sort(crm)
	record(tCHP, cadd, crm)
	return nil
}

// chpGrow adds n routes to CHP through its REST API (8 at a time) and
// returns the url id of the last one.
func (r *rig) chpGrow(ctx context.Context, n int) (string, error) {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = randomHex(16)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, id := range ids[:n-1] {
		g.Go(func() error { return r.chp.addRoute(gctx, routePath(id), "http://"+r.backendAddr) })
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	// The last one last, so that it is the newest.
	last := ids[n-1]
	return last, r.chp.addRoute(ctx, routePath(last), "http://"+r.backendAddr)
}
