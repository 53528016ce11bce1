package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// The Go proxy is a reference, not a contender: the standard library's
// httputil.ReverseProxy in front of the backend, with no authentication,
// no routing and nothing else. On a machine where the load generator, the
// proxy and the backend share the CPUs, it shows what any proxy written
// in Go can reach there, and so how much of the appliance's cost is its
// own.

type goProxyConfig struct {
	Listen  string `json:"listen"`
	Backend string `json:"backend"` // HOST:PORT
}

func serveGoProxy(raw string) error {
	var cfg goProxyConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return fmt.Errorf("reading the configuration: %w", err)
	}
	p := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: cfg.Backend})
	p.Transport = &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	return serveHTTP(cfg.Listen, p)
}

func (r *rig) startGoProxy(ctx context.Context) error {
	cmd, err := selfCommand("goproxy", goProxyConfig{Listen: "127.0.0.1:0", Backend: r.backendAddr})
	if err != nil {
		return err
	}
	r.pin(cmd, true)
	var ready backendReady
	if r.goproxy, err = startProcess(ctx, "goproxy", r.dir, cmd, &ready, 30*time.Second); err != nil {
		return err
	}
	r.goproxyAddr = ready.Addr
	return nil
}
