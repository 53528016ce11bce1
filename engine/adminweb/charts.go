package adminweb

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
	"time"

	"github.com/simphony/simphony-remote/engine/admin"
)

// Chart geometry, in SVG user units.
const (
	chartW, chartH         = 480, 200
	padL, padR, padT, padB = 40, 10, 10, 28
)

// series is a line of a chart: one value per point, oldest first; NaN is
// a point without data, where the line breaks.
type series struct {
	class  string
	values []float64
}

// lineChart draws lines over times as inline SVG, with a y axis from 0 to
// the largest value and the times of the first, middle and last points.
// Everything written is a number or escaped, so the SVG is safe HTML.
func lineChart(title, unit string, times []time.Time, lines ...series) template.HTML {
	top := 0.0
	for _, l := range lines {
		for _, v := range l.values {
			if !math.IsNaN(v) {
				top = max(top, v)
			}
		}
	}
	if unit == "" {
		// Counts: whole numbers on the axis.
		top = float64(max(2, int(math.Ceil(top))+int(math.Ceil(top))%2))
	} else if top == 0 {
		top = 1
	}
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	x := func(i, n int) float64 {
		if n < 2 {
			return padL
		}
		return padL + plotW*float64(i)/float64(n-1)
	}
	y := func(v float64) float64 { return padT + plotH*(1-v/top) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-label="%s">`, chartW, chartH, html.EscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(title))
	for _, v := range []float64{0, top / 2, top} {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, padL, chartW-padR, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`, padL-4, y(v)+4, html.EscapeString(axisLabel(v, unit)))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/>`, padL, chartW-padR, chartH-padB, chartH-padB)
	n := len(times)
	for _, i := range []int{0, n / 2, n - 1} {
		if i < 0 || i >= n {
			continue
		}
		anchor := "middle"
		if i == 0 {
			anchor = "start"
		} else if i == n-1 {
			anchor = "end"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="%s">%s</text>`, x(i, n), chartH-8, anchor, times[i].UTC().Format("15:04"))
	}
	for _, l := range lines {
		// A run of points with data is a polyline; a lone one, a dot.
		var run []string
		flush := func() {
			switch len(run) {
			case 0:
			case 1:
				var cx, cy float64
				fmt.Sscanf(run[0], "%f,%f", &cx, &cy)
				fmt.Fprintf(&b, `<circle class="%s" cx="%.1f" cy="%.1f" r="3"/>`, l.class, cx, cy)
			default:
				fmt.Fprintf(&b, `<polyline class="%s" points="%s"/>`, l.class, strings.Join(run, " "))
			}
			run = run[:0]
		}
		for i, v := range l.values {
			if math.IsNaN(v) {
				flush()
				continue
			}
			run = append(run, fmt.Sprintf("%.1f,%.1f", x(i, len(l.values)), y(v)))
		}
		flush()
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and escaped text only
}

func axisLabel(v float64, unit string) string {
	if unit == "s" {
		return fmt.Sprintf("%.3gs", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// runningChart is the number of running sessions over the last 24 hours.
func runningChart(st admin.Stats) template.HTML {
	times := make([]time.Time, len(st.Running))
	vals := make([]float64, len(st.Running))
	for i, s := range st.Running {
		times[i], vals[i] = s.Time, float64(s.Count)
	}
	return lineChart("Running sessions over the last 24 hours", "", times, series{class: "line", values: vals})
}

// startChart is the median and 95th percentile of session start times per
// hour over the last 24 hours.
func startChart(st admin.Stats) template.HTML {
	times := make([]time.Time, len(st.StartTimes))
	p50 := make([]float64, len(st.StartTimes))
	p95 := make([]float64, len(st.StartTimes))
	for i, s := range st.StartTimes {
		times[i], p50[i], p95[i] = s.Hour, s.P50.Seconds(), s.P95.Seconds()
		if s.Starts == 0 {
			// No start that hour: no time to draw (not a time of 0 s).
			p50[i], p95[i] = math.NaN(), math.NaN()
		}
	}
	return lineChart("Session start times per hour over the last 24 hours: median and 95th percentile", "s", times,
		series{class: "line", values: p50}, series{class: "p95", values: p95})
}
