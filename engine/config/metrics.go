package config

import (
	"fmt"
	"strings"
)

// Metrics configures who may read /metrics besides administrators.
type Metrics struct {
	// Token, when set, lets a scraper (Prometheus) read /metrics with
	// "Authorization: Bearer TOKEN". Empty: administrators only.
	Token string `toml:"token"`
}

// minMetricsToken is the shortest scrape token accepted.
const minMetricsToken = 16

// validateMetrics checks the [metrics] section.
func (l *Loaded) validateMetrics() error {
	t := l.Metrics.Token
	if t == "" {
		return nil
	}
	if len(t) < minMetricsToken || strings.ContainsFunc(t, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return &Error{Key: "metrics.token", Source: l.Origin["metrics.token"],
			Msg: fmt.Sprintf("must be at least %d printable ASCII characters without spaces (e.g. from: openssl rand -hex 32)", minMetricsToken)}
	}
	return nil
}
