package wsrelay

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// IsUpgrade reports whether r asks to switch protocols in any way: an
// Upgrade header or a Connection: upgrade (HTTP/1.1), or a CONNECT (the
// extended CONNECT of WebSockets over HTTP/2 and 3, RFC 8441). A proxy
// that filters a user's WebSockets must send every such request of
// theirs to Serve, which relays WebSocket handshakes over HTTP/1.1 and
// refuses the rest: a stock reverse proxy would tunnel them unfiltered.
func IsUpgrade(r *http.Request) bool {
	return r.Method == http.MethodConnect || len(r.Header.Values("Upgrade")) > 0 ||
		hasToken(r.Header, "Connection", "upgrade")
}

// handshake reports whether r is an HTTP/1.1 WebSocket handshake that
// websocket.Accept will take (so that the upstream is not dialled for
// one it would refuse).
func handshake(r *http.Request) bool {
	if r.Method != http.MethodGet || !r.ProtoAtLeast(1, 1) ||
		!hasToken(r.Header, "Connection", "upgrade") || !hasToken(r.Header, "Upgrade", "websocket") ||
		r.Header.Get("Sec-WebSocket-Version") != "13" {
		return false
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return false
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keys[0]))
	return err == nil && len(key) == 16
}

// hasToken reports whether the comma-separated header key holds token.
func hasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// tokens lists the comma-separated values of header key.
func tokens(h http.Header, key string) []string {
	var out []string
	for _, v := range h.Values(key) {
		for t := range strings.SplitSeq(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// checkOrigin refuses a browser's cross-origin handshake before the
// upstream is dialled, with websocket.Accept's rule: no Origin, the
// request's own host, or a host matching one of patterns, tried in order
// until one is malformed.
func checkOrigin(r *http.Request, patterns []string) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil {
		return fmt.Errorf("parsing the Origin %q: %w", origin, err)
	}
	if strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		ok, err := path.Match(strings.ToLower(p), strings.ToLower(target))
		if err != nil {
			return fmt.Errorf("origin pattern %q: %w", p, err)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("origin %q may not open a WebSocket on %q", origin, r.Host)
}
