package main

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"sync"
	"time"
)

// Targets: the three ways to the backend, plus the appliance over HTTPS and
// the appliance with Caddy's default WebSocket buffer; raw Docker is the
// direct way to start an application.
const (
	tDirect    = "direct"
	tGoProxy   = "go-proxy" // the reference: Go's httputil.ReverseProxy
	tCHP       = "chp"
	tCHPTLS    = "chp-tls"       // CHP over HTTPS, the appliance-tls's peer
	tAppliance = "appliance"     // over plain HTTP, as CHP is measured
	tTLS       = "appliance-tls" // over HTTPS, as users reach it
	tDocker    = "docker"        // raw Docker: create, start, first HTTP answer
)

// Sample is one measured value.
type Sample struct {
	Metric string         `json:"metric"`
	Target string         `json:"target"`
	Round  int            `json:"round"`
	Value  float64        `json:"value"`
	Unit   string         `json:"unit"`
	Extra  map[string]any `json:"extra,omitempty"`
}

// Results are a run's raw results, written as JSON.
type Results struct {
	Header   Header    `json:"header"`
	Smoke    bool      `json:"smoke"`
	Rounds   int       `json:"rounds"`
	Started  time.Time `json:"started"`
	Duration string    `json:"duration"`
	Notes    []string  `json:"notes,omitempty"`
	Samples  []Sample  `json:"samples"`
	Table    string    `json:"table"`

	mu sync.Mutex
}

func (r *Results) add(s Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Samples = append(r.Samples, s)
}

func (r *Results) note(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Notes = append(r.Notes, s)
}

// values are the samples of a metric and target, in order.
func (r *Results) values(metric, target string) []float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []float64
	for _, s := range r.Samples {
		if s.Metric == metric && s.Target == target {
			out = append(out, s.Value)
		}
	}
	return out
}

func (r *Results) write(path string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// summary is the median and range of some values.
type summary struct {
	n             int
	med, min, max float64
}

func summarize(v []float64) summary {
	if len(v) == 0 {
		return summary{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return summary{n: len(s), med: quantile(s, 0.5), min: s[0], max: s[len(s)-1]}
}

// quantile of sorted values, interpolated.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}

// durationQuantiles returns the p50 and p99 of durations, in milliseconds.
func durationQuantiles(d []time.Duration) (p50, p99 float64) {
	if len(d) == 0 {
		return math.NaN(), math.NaN()
	}
	s := make([]float64, len(d))
	for i, v := range d {
		s[i] = float64(v) / 1e6
	}
	slices.Sort(s)
	return quantile(s, 0.5), quantile(s, 0.99)
}
