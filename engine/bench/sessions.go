package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"

	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/images"
	"github.com/simphony/simphony-remote/engine/protocol"
)

// sessionImage is started both ways: the files starter, a web application
// in an otherwise empty image.
const sessionImage = images.Files

// starter starts one application and returns how long it took until it
// answered HTTP, and a function that stops it.
type starter func(ctx context.Context, i int) (time.Duration, func(context.Context) error, error)

// sessionUsers are the users the appliance starts sessions for: one grant
// each, so that concurrent starts do not wait for each other.
type sessionUsers struct {
	tokens, mappings []string
}

func (r *rig) sessionUsers(ctx context.Context) (*sessionUsers, error) {
	if r.sessions != nil {
		return r.sessions, nil
	}
	n := 1
	for _, c := range r.opts.concurrentStarts() {
		n = max(n, c)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("start%02d", i)
	}
	tokens, mappings, err := r.app.users(ctx, names, sessionImage)
	if err != nil {
		return nil, err
	}
	r.sessions = &sessionUsers{tokens: tokens, mappings: mappings}
	return r.sessions, nil
}

// measureSessions times session starts through the appliance's API and
// raw Docker runs of the same image: one at a time, then in bursts.
func (r *rig) measureSessions(ctx context.Context, res *Results, round int) error {
	users, err := r.sessionUsers(ctx)
	if err != nil {
		return err
	}
	ways := []struct {
		name  string
		start starter
	}{{tDocker, r.dockerRun}, {tTLS, r.applianceStart(users)}}
	for i := range r.opts.singleStarts() {
		for _, w := range rotate(ways[:], round+i) {
			d, stop, err := w.start(ctx, 0)
			if err != nil {
				return fmt.Errorf("%s: %w", w.name, err)
			}
			res.add(Sample{Metric: "session.single", Target: w.name, Round: round, Value: ms(d), Unit: "ms"})
			if err := stop(ctx); err != nil {
				return fmt.Errorf("%s: stopping: %w", w.name, err)
			}
		}
	}
	for _, n := range r.opts.concurrentStarts() {
		for _, w := range rotate(ways[:], round) {
			if err := burst(ctx, res, round, w.name, w.start, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// burst starts n at once and records the p50 of their times, the time
// until all answered, and how many succeeded.
func burst(ctx context.Context, res *Results, round int, name string, start starter, n int) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		times []time.Duration
		stops []func(context.Context) error
		fails []string
	)
	gate := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-gate
			d, stop, err := start(ctx, i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fails = append(fails, err.Error())
				return
			}
			times = append(times, d)
			stops = append(stops, stop)
		})
	}
	t0 := time.Now()
	close(gate)
	wg.Wait()
	wall := time.Since(t0)
	// Stop them all, also at once.
	var serr error
	for _, stop := range stops {
		wg.Go(func() {
			if err := stop(context.WithoutCancel(ctx)); err != nil {
				mu.Lock()
				serr = errors.Join(serr, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	metric := fmt.Sprintf("session.c%d", n)
	p50, _ := durationQuantiles(times)
	extra := map[string]any{"started": len(times), "of": n}
	if len(fails) > 0 {
		extra["failures"] = fails
	}
	res.add(Sample{Metric: metric + ".ok", Target: name, Round: round, Value: float64(len(times)), Unit: "starts", Extra: extra})
	if len(times) > 0 {
		res.add(Sample{Metric: metric + ".p50", Target: name, Round: round, Value: p50, Unit: "ms"})
	}
	if len(fails) == 0 {
		res.add(Sample{Metric: metric + ".wall", Target: name, Round: round, Value: ms(wall), Unit: "ms"})
	} else {
		res.note(fmt.Sprintf("round %d: %d of %d concurrent starts (%s) failed, e.g.: %s", round+1, len(fails), n, name, fails[0]))
	}
	return serr
}

// applianceStart starts the files application of user i through the API,
// as the portal and `app start` do: POST /api/v1/containers answers 201
// once the application answers HTTP.
func (r *rig) applianceStart(u *sessionUsers) starter {
	client := r.app.apiClient()
	return func(ctx context.Context, i int) (time.Duration, func(context.Context) error, error) {
		body := fmt.Sprintf(`{"mapping_id":%q}`, u.mappings[i])
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.app.httpsURL()+"/api/v1/containers", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+u.tokens[i])
		t0 := time.Now()
		var c wire.Container
		if err := doJSON(client, req, http.StatusCreated, &c); err != nil {
			return 0, nil, err
		}
		d := time.Since(t0)
		stop := func(ctx context.Context) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, r.app.httpsURL()+"/api/v1/containers/"+c.URLID, nil)
			req.Header.Set("Authorization", "Bearer "+u.tokens[i])
			return doJSON(client, req, http.StatusNoContent, nil)
		}
		return d, stop, nil
	}
}

// dockerRun is the same image run by hand: create, start, find its port,
// then poll until it answers HTTP (every 5 ms: as soon as possible).
func (r *rig) dockerRun(ctx context.Context, _ int) (time.Duration, func(context.Context) error, error) {
	api := r.docker.API()
	urlID := randomHex(16)
	port := nat.Port(strconv.Itoa(protocol.ContainerPort) + "/tcp")
	cfg := &container.Config{
		Image:        sessionImage,
		Env:          []string{protocol.EnvBaseURL + "=/user/raw", protocol.EnvURLID + "=" + urlID},
		ExposedPorts: nat.PortSet{port: {}},
		Labels:       map[string]string{benchLabel: r.runID},
	}
	host := &container.HostConfig{PortBindings: nat.PortMap{port: {{HostIP: "127.0.0.1"}}}}
	t0 := time.Now()
	created, err := api.ContainerCreate(ctx, cfg, host, nil, nil, "")
	if err != nil {
		return 0, nil, fmt.Errorf("docker create: %w", err)
	}
	stop := func(ctx context.Context) error {
		return api.ContainerRemove(ctx, created.ID, container.RemoveOptions{Force: true})
	}
	fail := func(err error) (time.Duration, func(context.Context) error, error) {
		_ = stop(context.WithoutCancel(ctx))
		return 0, nil, err
	}
	if err := api.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		return fail(fmt.Errorf("docker start: %w", err))
	}
	info, err := api.ContainerInspect(ctx, created.ID)
	if err != nil {
		return fail(fmt.Errorf("docker inspect: %w", err))
	}
	var hostPort string
	if info.NetworkSettings != nil {
		for _, b := range info.NetworkSettings.Ports[port] {
			if b.HostIP == "127.0.0.1" {
				hostPort = b.HostPort
			}
		}
	}
	if hostPort == "" {
		return fail(errors.New("docker run: no published port"))
	}
	url := "http://127.0.0.1:" + hostPort + protocol.URLPath("raw", urlID)
	client := &http.Client{
		Timeout:       5 * time.Second,
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	deadline := time.Now().Add(time.Minute)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 400 {
				return time.Since(t0), stop, nil
			}
		}
		if time.Now().After(deadline) {
			return fail(fmt.Errorf("docker run: no HTTP answer within a minute: %v", err))
		}
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return fail(err)
		}
	}
}
