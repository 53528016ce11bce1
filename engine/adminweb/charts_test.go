package adminweb

import (
	"strings"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/admin"
)

// An hour without starts has no start time: the chart breaks its line
// there instead of drawing a start time of 0 s, and a lone hour with
// starts is a dot.
func TestStartChartSkipsHoursWithoutStarts(t *testing.T) {
	hour := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	var st admin.Stats
	for i := range 24 {
		s := admin.StartTimes{Hour: hour.Add(time.Duration(i) * time.Hour)}
		if i == 5 || i == 20 || i == 21 {
			s.Starts, s.P50, s.P95 = 2, 2*time.Second, 3*time.Second
		}
		st.StartTimes = append(st.StartTimes, s)
	}
	svg := string(startChart(st))
	if n := strings.Count(svg, "<polyline"); n != 2 {
		t.Errorf("%d lines, want 2 (median and 95th percentile of hours 20-21): %s", n, svg)
	}
	if n := strings.Count(svg, "<circle"); n != 2 {
		t.Errorf("%d dots, want 2 (the two values of the lone hour 5): %s", n, svg)
	}
	for _, line := range strings.Split(svg, "<polyline")[1:] {
		pts := strings.Fields(line[strings.Index(line, `points="`)+8 : strings.Index(line, `"/>`)])
		if len(pts) != 2 {
			t.Errorf("a line through %d points, want the 2 hours with starts: %v", len(pts), pts)
		}
	}
}
