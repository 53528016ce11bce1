package web

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
)

func (h *Handler) caCert(w http.ResponseWriter, r *http.Request) {
	if h.d.CARoot == nil {
		http.NotFound(w, r)
		return
	}
	pemBytes, err := h.d.CARoot()
	if err != nil || pemBytes == nil {
		h.fail(w, noone, http.StatusServiceUnavailable, "No certificate yet", "The appliance's certificate authority is not ready.", err)
		return
	}
	w.Header().Set("Content-Type", "application/x-x509-ca-cert")
	w.Header().Set("Content-Disposition", `attachment; filename="simphony-remote-ca.crt"`)
	_, _ = w.Write(pemBytes)
}

// healthz says whether the appliance works: to anyone, only ok (200) or
// degraded (503); to administrators (browser or API token), with the
// checks that say why.
func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	checks, ok := h.d.Health.Check(r.Context())
	body := map[string]any{"status": "ok"}
	code := http.StatusOK
	if !ok {
		body["status"] = "degraded"
		code = http.StatusServiceUnavailable
	}
	if id, signedIn := h.d.Resolver.Identify(r); signedIn && id.Admin {
		body["checks"] = checks
	}
	writeStatus(w, code, body)
}

// readyz says whether the appliance is ready to serve: the running
// sessions are known (a first reconcile with Docker completed).
func (h *Handler) readyz(w http.ResponseWriter, _ *http.Request) {
	if !h.d.Health.Ready() {
		writeStatus(w, http.StatusServiceUnavailable, map[string]any{"status": "starting"})
		return
	}
	writeStatus(w, http.StatusOK, map[string]any{"status": "ready"})
}

func writeStatus(w http.ResponseWriter, code int, body map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

// metrics serves Prometheus metrics to administrators and to a scraper
// with the configured token; a local process is nobody special.
func (h *Handler) metrics(w http.ResponseWriter, r *http.Request) {
	if !h.scraper(r) {
		if id, signedIn := h.d.Resolver.Identify(r); !signedIn || !id.Admin {
			http.Error(w, "metrics are for administrators, and for a scraper with the configured token ([metrics] token, sent as Authorization: Bearer TOKEN)", http.StatusForbidden)
			return
		}
	}
	h.d.Metrics.ServeHTTP(w, r)
}

// scraper says whether r carries the configured metrics token.
func (h *Handler) scraper(r *http.Request) bool {
	if h.d.MetricsToken == "" {
		return false
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") &&
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(h.d.MetricsToken)) == 1
}

// Unreachable answers a proxied request whose session did not answer: 502,
// saying whether the session has ended.
func (h *Handler) Unreachable(w http.ResponseWriter, r *http.Request, gone bool) {
	msg := "The application is not answering right now. Wait a moment and reload, or stop and start it again."
	if gone {
		msg = "This application has stopped. Start it again from your applications."
	}
	h.Refuse(w, r, http.StatusBadGateway, msg)
}
