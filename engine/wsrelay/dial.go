package wsrelay

import (
	"context"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/coder/websocket"
)

// transport dials upstreams: no proxy from the environment, no idle
// connections kept (a WebSocket's connection is never reused), and no
// Accept-Encoding of its own (a handshake has no body to compress), so
// that the upstream gets only the headers dial sends.
var transport = &http.Transport{
	DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	DisableKeepAlives:     true,
	DisableCompression:    true,
	ResponseHeaderTimeout: DefaultDialTimeout,
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

var defaultClient = &http.Client{Transport: transport, CheckRedirect: noRedirect}

// relayedHeaders are the client's request headers the upstream gets.
var relayedHeaders = []string{"Origin", "User-Agent", "Cookie"}

// dial opens the upstream's WebSocket for r, offering the client's
// subprotocols, with the client's Host and the path and query it asked
// for.
func dial(ctx context.Context, r *http.Request, upstream string, opts *Options) (*websocket.Conn, error) {
	timeout := opts.DialTimeout
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	h := make(http.Header, len(relayedHeaders)+len(opts.Header)+3)
	for _, k := range relayedHeaders {
		if v := r.Header.Values(k); len(v) > 0 {
			h[k] = slices.Clone(v)
		}
	}
	for k, v := range opts.Header {
		h[http.CanonicalHeaderKey(k)] = slices.Clone(v)
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		h.Set("X-Forwarded-For", ip)
	}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	h.Set("X-Forwarded-Proto", proto)
	h.Set("X-Forwarded-Host", r.Host)

	client := defaultClient
	if opts.Transport != nil {
		client = &http.Client{Transport: opts.Transport, CheckRedirect: noRedirect}
	}
	c, resp, err := websocket.Dial(ctx, "ws://"+upstream+r.URL.RequestURI(), &websocket.DialOptions{
		HTTPClient:   client,
		HTTPHeader:   h,
		Host:         r.Host,
		Subprotocols: tokens(r.Header, "Sec-WebSocket-Protocol"),
	})
	if err != nil {
		ue := &UpstreamError{Err: err}
		if resp != nil {
			ue.Status = resp.StatusCode
		}
		return nil, ue
	}
	return c, nil
}
