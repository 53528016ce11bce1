package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"time"
)

// The module carries a session's requests itself once it has authorised
// them, HTTP here and upgrades in tunnel.go, behind Caddy's TLS. It used
// to hand them to Caddy's stock reverse_proxy; make bench's profile
// (docs/performance.md) found that a third of the appliance's CPU per
// proxied request went there: a second clone of the request, placeholders,
// and with flush_interval -1 three writes to the socket per answer (the
// headers, the body, the end). The standard library's reverse proxy writes
// a short answer once, and flushes at once only what is streamed: an
// answer of unknown length (progress, long polls) or an event stream.

// sessionTransport is how the appliance reaches its sessions: on
// 127.0.0.1, never through a proxy, and with answers passed on as the
// application encoded them.
var sessionTransport = &http.Transport{
	DialContext:           (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConnsPerHost:   64,
	IdleConnTimeout:       2 * time.Minute,
	ExpectContinueTimeout: time.Second,
	DisableCompression:    true,
}

// Errors of forward.
var (
	// errUnreachable: the session did not answer, and nothing was
	// written to the client.
	errUnreachable = errors.New("the session does not answer")
	// errClientGone: the client went away before the session answered.
	errClientGone = errors.New("the client went away")
)

// quiet is the reverse proxy's log: what it would say (a copy that failed
// midway, when the client or the application went away) is seen in the
// metrics' statuses, and is no error of the appliance's.
var quiet = log.New(io.Discard, "", 0)

// forward carries r to the session listening on addr (host:port) and
// copies its answer to w. Host stays the client's; X-Forwarded-For, -Host
// and -Proto are set from the connection (scrub removed the client's), and
// Via (setVia).
func forward(w http.ResponseWriter, r *http.Request, addr string) error {
	var failed error
	p := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = addr
			pr.SetXForwarded()
			setVia(pr.Out.Header, r)
		},
		Transport:    sessionTransport,
		ErrorLog:     quiet,
		ErrorHandler: func(_ http.ResponseWriter, _ *http.Request, err error) { failed = err },
	}
	p.ServeHTTP(w, r)
	switch {
	case failed == nil:
		return nil
	case r.Context().Err() != nil:
		return fmt.Errorf("%w: %w", errClientGone, context.Cause(r.Context()))
	default:
		return fmt.Errorf("%w: %w", errUnreachable, failed)
	}
}

// setVia says, in h, that the request went through the appliance, as
// RFC 9110 asks of a proxy, in the words Caddy's reverse_proxy used
// (README, "Headers between the browser and the session"): "1.1 Caddy",
// or "2.0 Caddy" from an HTTP/2 client. scrub removed the client's.
func setVia(h http.Header, r *http.Request) {
	h.Set("Via", strconv.Itoa(r.ProtoMajor)+"."+strconv.Itoa(r.ProtoMinor)+" Caddy")
}
