package appliance

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/websockets"
)

// metrics are the appliance's Prometheus metrics, in their own registry.
type metrics struct {
	reg           *prometheus.Registry
	starts        *prometheus.CounterVec
	stops         prometheus.Counter
	startDuration prometheus.Histogram
	proxied       *prometheus.CounterVec
}

func newMetrics(table *routes.Table, logins *auth.Logins, sockets *websockets.Registry) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		starts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "simphony_remote_session_starts_total", Help: "Session starts, by result (ok or failed).",
		}, []string{"result"}),
		stops: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "simphony_remote_session_stops_total", Help: "Sessions that ended (stopped, died or replaced).",
		}),
		startDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "simphony_remote_session_start_seconds", Help: "Time from a start request to the application answering HTTP.",
			Buckets: []float64{0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60},
		}),
		proxied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "simphony_remote_proxy_requests_total", Help: "Requests proxied to sessions, by status code.",
		}, []string{"code"}),
	}
	m.starts.WithLabelValues("ok")
	m.starts.WithLabelValues("failed")
	m.reg.MustRegister(m.starts, m.stops, m.startDuration, m.proxied,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "simphony_remote_sessions_running", Help: "Running sessions.",
		}, func() float64 { return float64(table.Len()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "simphony_remote_signed_in_users", Help: "Users signed in with at least one browser.",
		}, func() float64 { return float64(logins.Users()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	registerSockets(m.reg, sockets)
	return m
}

// registerSockets adds the WebSockets' metrics: open by kind, refused by
// cap, and the caps in force.
func registerSockets(reg *prometheus.Registry, sockets *websockets.Registry) {
	for _, kind := range websockets.Kinds {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "simphony_remote_websockets_open", Help: "WebSockets open to sessions, by kind (owner: through the proxy's tunnel; shared: through the relay).",
			ConstLabels: prometheus.Labels{"kind": string(kind)},
		}, func() float64 { return float64(sockets.Count(kind)) }))
	}
	limits := sockets.Limits()
	for which, limit := range map[string]int{websockets.RefusedPerUser: limits.PerUser, websockets.RefusedTotal: limits.Total} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "simphony_remote_websockets_refused_total", Help: "WebSockets refused over a cap, by cap (per_user or total).",
			ConstLabels: prometheus.Labels{"reason": which},
		}, func() float64 { return float64(sockets.Refused(which)) }))
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "simphony_remote_websockets_limit", Help: "The caps on open WebSockets in force (websockets.per_user, websockets.total after fitting the descriptor limit).",
			ConstLabels: prometheus.Labels{"cap": which},
		}, func() float64 { return float64(limit) }))
	}
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *metrics) observeProxy(status int) {
	m.proxied.WithLabelValues(strconv.Itoa(status)).Inc()
}

// observe counts a session event.
func (m *metrics) observe(e session.Event) {
	switch e.Kind {
	case session.EventStarted:
		m.starts.WithLabelValues("ok").Inc()
		m.startDuration.Observe(e.Took.Seconds())
	case session.EventFailed:
		m.starts.WithLabelValues("failed").Inc()
	case session.EventStopped:
		m.stops.Inc()
	}
}
