package main

import (
	"fmt"
	"math"
	"strings"
)

// The table's columns: the direct way (the backend itself, or raw Docker
// for session starts), the reference Go proxy, CHP over plain HTTP and over
// HTTPS (CHP-TLS), the appliance over plain HTTP (compared with CHP) and
// over HTTPS (as users reach it; compared with CHP-TLS).
const (
	colDirect = iota
	colGo
	colCHP
	colCHPTLS
	colApp
	colTLS
	nCols
)

var colNames = [nCols]string{"direct", "Go proxy (reference)", "CHP", "CHP-TLS", "appliance (HTTP)", "appliance (HTTPS)"}

// row is a line of the table: a metric, which target fills which column,
// which column is "the appliance" for the ratios, and the goal.
type row struct {
	section string // starts a new group of rows
	label   string
	metric  string
	cols    [nCols]string
	primary int // the appliance's column for the ratios
	goal    string
	// check says whether the goal is met; known is false when a value is
	// missing.
	check func(med func(col int) float64) (ok, known bool)
	// flatOver, when set, is the metric this one must stay flat over
	// (within 10%, or 0.02 ms).
	flatOver string
}

var (
	allCols    = [nCols]string{tDirect, tGoProxy, tCHP, tCHPTLS, tAppliance, tTLS}
	cpuCols    = [nCols]string{"", tGoProxy, tCHP, tCHPTLS, tAppliance, tTLS}
	proxyCols  = [nCols]string{"", "", tCHP, "", tAppliance, ""}
	dockerCols = [nCols]string{tDocker, "", "", "", "", tTLS}
)

// rows lists the table. Metric names are those of the samples in the JSON.
func rows(o Options) []row {
	rate := o.fixedRate()
	var rs []row
	rs = append(rs,
		row{section: "HTTP (GET, 121-byte answer, keep-alive)", label: "req/s, concurrency 1", metric: "http.c1.rps", cols: allCols, primary: colApp},
		row{label: "p50 latency, concurrency 1 (ms)", metric: "http.c1.p50", cols: allCols, primary: colApp,
			goal: "added p50 ≤ 0.5× CHP's (HTTP) and CHP-TLS's (HTTPS)", check: func(m func(int) float64) (bool, bool) {
				added := func(col int) float64 { return m(col) - m(colDirect) }
				return added(colApp) <= 0.5*added(colCHP) && added(colTLS) <= 0.5*added(colCHPTLS),
					known(m(colApp), m(colTLS), m(colCHP), m(colCHPTLS), m(colDirect))
			}},
		row{label: "p99 latency, concurrency 1 (ms)", metric: "http.c1.p99", cols: allCols, primary: colApp},
		row{label: "req/s, concurrency 16", metric: "http.c16.rps", cols: allCols, primary: colApp,
			goal: "≥ 3× CHP (HTTP) and CHP-TLS (HTTPS)", check: func(m func(int) float64) (bool, bool) {
				return m(colApp) >= 3*m(colCHP) && m(colTLS) >= 3*m(colCHPTLS), known(m(colApp), m(colTLS), m(colCHP), m(colCHPTLS))
			}},
		row{label: "p99 latency, concurrency 16 (ms)", metric: "http.c16.p99", cols: allCols, primary: colApp},
		row{label: fmt.Sprintf("p50 latency at %d req/s (ms)", rate), metric: "http.rate.p50", cols: allCols, primary: colApp},
		row{label: fmt.Sprintf("p99 latency at %d req/s (ms)", rate), metric: "http.rate.p99", cols: allCols, primary: colApp},
		row{label: "proxy CPU per request, concurrency 1 (µs, user + system)", metric: "http.c1.cpu", cols: cpuCols, primary: colApp},
		row{label: "proxy CPU per request, concurrency 16 (µs, user + system)", metric: "http.c16.cpu", cols: cpuCols, primary: colApp},
		row{label: fmt.Sprintf("proxy CPU per request at %d req/s (µs, user + system)", rate), metric: "http.rate.cpu", cols: cpuCols, primary: colApp},

		row{section: "WebSocket (echo)", label: "64 B round trip p50, 10 connections (ms)", metric: "ws.rtt.p50", cols: allCols, primary: colApp},
		row{label: "64 B round trip p99, 10 connections (ms)", metric: "ws.rtt.p99", cols: allCols, primary: colApp},
		row{label: "64 KiB messages, 1 connection (MB/s echoed)", metric: "ws.tput", cols: allCols, primary: colApp,
			goal: "≥ 1.5× CHP-TLS (HTTPS), HTTPS ≥ 75% of HTTP", check: func(m func(int) float64) (bool, bool) {
				return m(colTLS) >= 1.5*m(colCHPTLS) && m(colTLS) >= 0.75*m(colApp), known(m(colApp), m(colTLS), m(colCHPTLS))
			}},
		row{label: "proxy CPU busy during the 64 KiB messages (share of its core, user + system)", metric: "ws.tput.cpu", cols: cpuCols, primary: colApp},
		row{section: "Memory (RSS of the proxy process)", label: fmt.Sprintf("per idle proxied WebSocket, %s open (KB)", count(o.idleSockets())), metric: "mem.ws",
			cols: [nCols]string{"", "", tCHP, tCHPTLS, tAppliance, tTLS}, primary: colTLS,
			goal: "≤ CHP-TLS's (HTTPS); aim ≤ 20 KB", check: func(m func(int) float64) (bool, bool) {
				return m(colTLS) <= m(colCHPTLS), known(m(colTLS), m(colCHPTLS))
			}},
		row{label: "goroutines per idle proxied WebSocket", metric: "mem.ws.goroutines", cols: [nCols]string{"", "", "", "", tAppliance, tTLS}, primary: colTLS},
		row{label: fmt.Sprintf("per signed-in user without sessions, %s users (KB)", count(o.users())), metric: "mem.user", cols: [nCols]string{"", "", "", "", tAppliance, ""}, primary: colApp,
			goal: "≤ 5 KB", check: func(m func(int) float64) (bool, bool) { return m(colApp) <= 5, known(m(colApp)) }},
	)
	levels := o.routeLevels()
	last := levels[len(levels)-1]
	for i, n := range levels {
		section := ""
		if i == 0 {
			section = "Routes (GET through the proxy, concurrency 1)"
		}
		rs = append(rs,
			row{section: section, label: fmt.Sprintf("p50 to the first of %s routes (ms)", count(n)), metric: fmt.Sprintf("routes.%d.first", n), cols: proxyCols, primary: colApp},
			row{label: fmt.Sprintf("p50 to the last of %s routes (ms)", count(n)), metric: fmt.Sprintf("routes.%d.last", n), cols: proxyCols, primary: colApp})
	}
	rs[len(rs)-1].flatOver = fmt.Sprintf("routes.%d.first", levels[0])
	rs[len(rs)-1].goal = fmt.Sprintf("flat: ≤ +10%% (or +0.02 ms) over the first of %s", count(levels[0]))
	rs = append(rs,
		row{label: fmt.Sprintf("route add, %s routes (µs; CHP: its REST API)", count(last)), metric: "routes.add", cols: proxyCols, primary: colApp,
			goal: "≤ 10 µs", check: func(m func(int) float64) (bool, bool) { return m(colApp) <= 10, known(m(colApp)) }},
		row{label: fmt.Sprintf("route remove, %s routes (µs; CHP: its REST API)", count(last)), metric: "routes.remove", cols: proxyCols, primary: colApp},

		row{section: "Sessions (the files starter image; direct: raw Docker create + start + first HTTP answer; appliance: POST /api/v1/containers until 201)",
			label: "start, one at a time (ms)", metric: "session.single", cols: dockerCols, primary: colTLS,
			goal: "≤ +50 ms p50 over Docker", check: func(m func(int) float64) (bool, bool) {
				return m(colTLS)-m(colDirect) <= 50, known(m(colTLS), m(colDirect))
			}},
	)
	for _, n := range o.concurrentStarts() {
		rs = append(rs,
			row{label: fmt.Sprintf("start, %d at once: p50 of each (ms)", n), metric: fmt.Sprintf("session.c%d.p50", n), cols: dockerCols, primary: colTLS},
			row{label: fmt.Sprintf("start, %d at once: until all answer (ms)", n), metric: fmt.Sprintf("session.c%d.wall", n), cols: dockerCols, primary: colTLS},
			row{label: fmt.Sprintf("start, %d at once: succeeded", n), metric: fmt.Sprintf("session.c%d.ok", n), cols: dockerCols, primary: colTLS,
				goal: fmt.Sprintf("all %d", n), check: func(m func(int) float64) (bool, bool) {
					return m(colTLS) == float64(n), known(m(colTLS))
				}},
		)
	}
	tlsOnly := [nCols]string{"", "", "", "", "", tTLS}
	rs = append(rs, row{label: "Desktop: click Start to the first non-black pixel in noVNC, headless Chromium (s)", metric: "pixel.first", cols: tlsOnly, primary: colTLS,
		goal: "≤ 1.0 s", check: func(m func(int) float64) (bool, bool) { return m(colTLS) <= 1.0, known(m(colTLS)) }})
	for _, st := range pixelStages {
		rs = append(rs, row{label: "… " + st.label + " (s after the click)", metric: "pixel.stage." + st.key, cols: tlsOnly, primary: colTLS})
	}
	rs = append(rs,
		row{section: "Desktop console (make desktop; under Xvfb, on the appliance's admin socket)",
			label: "start to its first painted page, the dashboard (s)", metric: "console.paint", cols: tlsOnly, primary: colTLS},
		row{label: "memory of its process, dashboard shown (RSS, MiB)", metric: "console.rss", cols: tlsOnly, primary: colTLS},
		row{label: "memory with WebKit's processes (RSS, MiB)", metric: "console.rss_total", cols: tlsOnly, primary: colTLS})
	return rs
}

func known(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) {
			return false
		}
	}
	return true
}

// count writes 1000 as 1,000 and 100000 as 100k.
func count(n int) string {
	switch {
	case n >= 10000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	case n >= 1000:
		return fmt.Sprintf("%d,%03d", n/1000, n%1000)
	}
	return fmt.Sprint(n)
}

// table renders the results as one markdown table.
func table(res *Results, o Options) string {
	var b strings.Builder
	b.WriteString("| measurement |")
	for _, n := range colNames {
		fmt.Fprintf(&b, " %s |", n)
	}
	b.WriteString(" appliance/direct | appliance/Go proxy | appliance/CHP | appliance (HTTPS)/CHP-TLS | goal |\n|---|")
	for range colNames {
		b.WriteString("---:|")
	}
	b.WriteString("---:|---:|---:|---:|---|\n")
	for _, r := range rows(o) {
		if r.section != "" {
			fmt.Fprintf(&b, "| **%s** |%s\n", r.section, strings.Repeat(" |", nCols+5))
		}
		var sums [nCols]summary
		for c, t := range r.cols {
			if t != "" {
				sums[c] = summarize(res.values(r.metric, t))
			}
		}
		med := func(c int) float64 {
			if sums[c].n == 0 {
				return math.NaN()
			}
			return sums[c].med
		}
		fmt.Fprintf(&b, "| %s |", r.label)
		for c := range nCols {
			fmt.Fprintf(&b, " %s |", cell(sums[c], r.cols[c] != ""))
		}
		fmt.Fprintf(&b, " %s | %s | %s | %s |", ratio(med(r.primary), med(colDirect)), ratio(med(r.primary), med(colGo)), ratio(med(r.primary), med(colCHP)), ratio(med(colTLS), med(colCHPTLS)))
		goal := r.goal
		ok, isKnown := false, false
		switch {
		case r.check != nil:
			ok, isKnown = r.check(med)
		case r.flatOver != "":
			first := summarize(res.values(r.flatOver, r.cols[r.primary]))
			last := med(r.primary)
			isKnown = first.n > 0 && known(last)
			ok = last <= math.Max(first.med*1.10, first.med+0.02)
		}
		switch {
		case goal == "":
		case !isKnown:
			goal += " (not measured)"
		case ok:
			goal += " ✅"
		default:
			goal += " ❌"
		}
		fmt.Fprintf(&b, " %s |\n", goal)
	}
	return b.String()
}

// cell is "median (min–max)" over the rounds.
func cell(s summary, used bool) string {
	switch {
	case !used:
		return ""
	case s.n == 0:
		return "—"
	case s.n == 1 || s.min == s.max:
		return num(s.med)
	}
	return fmt.Sprintf("%s (%s–%s)", num(s.med), num(s.min), num(s.max))
}

// num prints a value with about three significant digits.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v):
		return "—"
	case a >= 1000:
		s := fmt.Sprintf("%.0f", v)
		// thousands separators
		var out []byte
		for i := range len(s) {
			if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
				out = append(out, ',')
			}
			out = append(out, s[i])
		}
		return string(out)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a == 0:
		return "0"
	}
	return fmt.Sprintf("%.3f", v)
}

func ratio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f", a/b)
}
