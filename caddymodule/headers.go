package caddymodule

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/simphony/simphony-remote/engine/auth"
)

// Only the appliance says who the user is and how a request reached it:
// a request bound for a session loses every header a client could use to
// say so itself (README, "Headers between the browser and the session").
// The module then sets X-Forwarded-For, -Proto and -Host from the
// connection (no proxy in front of the appliance is trusted), and Caddy's
// server has already dropped every header whose name has an underscore or
// a dot (X_Remote_User, which CGI-style applications read as X-Remote-User).
var (
	// droppedHeaders are removed by name.
	droppedHeaders = []string{
		// Where the request came from, and how.
		"Forwarded", "Via", "X-Real-Ip", "X-Client-Ip", "Client-Ip", "True-Client-Ip",
		"X-Cluster-Client-Ip", "Cf-Connecting-Ip", "Fastly-Client-Ip", "X-Host", "X-Rewrite-Url",
		// A method other than the request's: a viewer may only GET.
		"X-Http-Method-Override", "X-Http-Method", "X-Method-Override",
	}
	// droppedPrefixes are removed with every header they begin: the
	// forwarding family (X-Forwarded-For, -Host, -Proto, -Port, -Prefix,
	// -Server, -Ssl, -User, -Email...) and the identity headers of
	// authenticating proxies (Remote-User, X-Remote-User, X-Auth-Request-User...).
	droppedPrefixes = []string{"X-Forwarded-", "X-Original-", "X-Remote-", "Remote-", "X-Auth-Request-"}
)

// csrfHeader carries the appliance's CSRF token.
const csrfHeader = "X-Csrf-Token"

// dropClientHeaders removes from h what only the appliance may say, and
// the caller's CSRF token. Another value of X-CSRF-Token is the
// application's own (Rails and Laravel use that header) and passes, as an
// Authorization header that is not the appliance's token does.
func dropClientHeaders(h http.Header, id auth.Identity) {
	for k := range h {
		for _, p := range droppedPrefixes {
			if strings.HasPrefix(k, p) {
				delete(h, k)
			}
		}
	}
	for _, k := range droppedHeaders {
		delete(h, k)
	}
	if values := h.Values(csrfHeader); len(values) > 0 && id.Login.CSRF != "" {
		var keep []string
		for _, v := range values {
			if strings.TrimSpace(v) != id.Login.CSRF {
				keep = append(keep, v)
			}
		}
		h.Del(csrfHeader)
		for _, v := range keep {
			h.Add(csrfHeader, v)
		}
	}
}

// hsts is the Strict-Transport-Security of every HTTPS answer for a name:
// a year, and the session origins below the name ({url_id}.{host}), which
// are HTTPS too.
const hsts = "max-age=31536000; includeSubDomains"

// setHSTS tells browsers to reach this name over HTTPS only, on every
// answer the appliance gives over HTTPS (its pages, its API, sessions),
// except for localhost and IP addresses: a browser would then refuse
// plain HTTP to any other server on the same machine or address.
func setHSTS(w http.ResponseWriter, r *http.Request) {
	if r.TLS != nil && hstsHost(r.Host) {
		w.Header().Set("Strict-Transport-Security", hsts)
	}
}

// hstsHost says whether HSTS suits a request's Host: a name, not an IP
// address, nor localhost or a name under it.
func hstsHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	_, err := netip.ParseAddr(host)
	return err != nil
}

// frameAncestors are the pages that may show a session in a frame: its own
// (noVNC's, an application's), and the portal's toolbar page, which in
// subdomain mode is on another origin. No other page, another session's
// included, may frame it (clickjacking).
func (h *Handler) frameAncestors(r *http.Request) string {
	if h.SessionHost == "" {
		return "'self'"
	}
	return "'self' " + h.originURL(r, "")
}

// saysFraming says whether an application's answer says itself who may
// frame it, in a way browsers obey (X-Frame-Options DENY or SAMEORIGIN, or
// a Content-Security-Policy with a frame-ancestors directive): the
// appliance leaves that to it. A value browsers ignore (ALLOW-FROM,
// ALLOWALL, the word in another directive) says nothing, and the
// appliance's frame-ancestors applies.
func saysFraming(h http.Header) bool {
	switch strings.ToUpper(strings.TrimSpace(h.Get("X-Frame-Options"))) {
	case "DENY", "SAMEORIGIN":
		return true
	}
	for _, v := range h.Values("Content-Security-Policy") {
		for _, policy := range strings.Split(v, ",") {
			for _, directive := range strings.Split(policy, ";") {
				if f := strings.Fields(directive); len(f) > 0 && strings.EqualFold(f[0], "frame-ancestors") {
					return true
				}
			}
		}
	}
	return false
}
