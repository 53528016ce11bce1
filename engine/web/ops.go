package web

import (
	"encoding/json"
	"net"
	"net/http"
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

func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	status, ok := h.d.Health.Check(r.Context())
	body := map[string]any{"status": "ok", "checks": status}
	code := http.StatusOK
	if !ok {
		body["status"] = "degraded"
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

// metrics serves Prometheus metrics to administrators and to the machine
// itself (a local Prometheus).
func (h *Handler) metrics(w http.ResponseWriter, r *http.Request) {
	ip := net.ParseIP(clientIP(r))
	id, signedIn := h.d.Resolver.Identify(r)
	if !(ip != nil && ip.IsLoopback()) && !(signedIn && id.Admin) {
		http.Error(w, "metrics are for administrators and for the appliance's own machine", http.StatusForbidden)
		return
	}
	h.d.Metrics.ServeHTTP(w, r)
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
