// Package history keeps the last 24 hours of session activity in memory:
// how many sessions ran, and the starts with how long they took. It is fed
// by the session manager's events (Observe) and rebuilt at start from the
// audit log (Rebuild), so that a restart does not empty the admin
// dashboard's charts.
package history

import (
	"slices"
	"sort"
	"sync"
	"time"
)

// Window is how far back the history goes.
const Window = 24 * time.Hour

// Step is the time between two samples of running sessions.
const Step = 10 * time.Minute

// maxPoints bounds each of the history's lists: the oldest go first.
const maxPoints = 100_000

// Sample is the number of running sessions in the Step from Time on: the
// most at once.
type Sample struct {
	Time  time.Time
	Count int
}

// Hour is the session starts of the hour from Hour on: how many
// succeeded, and how long those whose time is known took.
type Hour struct {
	Hour     time.Time
	Starts   int
	P50, P95 time.Duration
}

// Snapshot is the history of the last Window.
type Snapshot struct {
	Starts, Failures int      // in the last Window
	Running          []Sample // one a Step, oldest first
	Hours            []Hour   // one an hour, oldest first
}

// start is one session start.
type start struct {
	at   time.Time
	ok   bool
	took time.Duration // 0: not known
}

// change is the number of running sessions from at on.
type change struct {
	at    time.Time
	count int
}

// History is the bounded record. Its methods are safe for concurrent use.
type History struct {
	now func() time.Time

	mu      sync.Mutex
	starts  []start  // oldest first
	changes []change // oldest first
	// before is the count of running sessions before the first change.
	before int
}

// New returns an empty history on the clock now (nil: time.Now).
func New(now func() time.Time) *History {
	if now == nil {
		now = time.Now
	}
	return &History{now: now}
}

// Start records a session start at t, successful or not; took is how long
// it took, 0 when not known.
func (h *History) Start(t time.Time, ok bool, took time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := sort.Search(len(h.starts), func(i int) bool { return h.starts[i].at.After(t) })
	h.starts = slices.Insert(h.starts, i, start{at: t, ok: ok, took: took})
	h.trim()
}

// Running records that count sessions run from t on.
func (h *History) Running(t time.Time, count int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.changes); n > 0 && t.Before(h.changes[n-1].at) {
		t = h.changes[n-1].at // the clock went back: keep the order
	}
	h.changes = append(h.changes, change{at: t, count: count})
	h.trim()
}

// trim drops what is older than the window, and the oldest beyond
// maxPoints. The last change before the window is kept as the count the
// window starts with.
func (h *History) trim() {
	from := h.now().Add(-Window)
	i := sort.Search(len(h.starts), func(i int) bool { return !h.starts[i].at.Before(from) })
	i = max(i, len(h.starts)-maxPoints)
	h.starts = h.starts[i:]
	j := sort.Search(len(h.changes), func(i int) bool { return !h.changes[i].at.Before(from) })
	j = max(j, len(h.changes)-maxPoints)
	if j > 0 {
		h.before = h.changes[j-1].count
		h.changes = h.changes[j:]
	}
}

// Snapshot returns the last Window: the samples and hours end with the
// current ones.
func (h *History) Snapshot() Snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	h.trim()
	var s Snapshot

	// Running sessions: each Step's sample is the most at once in it.
	first := now.Truncate(Step).Add(-Window + Step)
	s.Running = make([]Sample, 0, Window/Step)
	count, c := h.before, 0
	for ; c < len(h.changes) && h.changes[c].at.Before(first); c++ {
		count = h.changes[c].count
	}
	for t := first; !t.After(now); t = t.Add(Step) {
		most := count
		for ; c < len(h.changes) && h.changes[c].at.Before(t.Add(Step)); c++ {
			count = h.changes[c].count
			most = max(most, count)
		}
		s.Running = append(s.Running, Sample{Time: t, Count: most})
	}

	// Starts per hour, with the percentiles of the known times.
	firstHour := now.Truncate(time.Hour).Add(-Window + time.Hour)
	s.Hours = make([]Hour, 0, Window/time.Hour)
	st := 0
	for ; st < len(h.starts) && h.starts[st].at.Before(firstHour); st++ {
		h.count(&s, h.starts[st])
	}
	for t := firstHour; !t.After(now); t = t.Add(time.Hour) {
		hour := Hour{Hour: t}
		var took []time.Duration
		for ; st < len(h.starts) && h.starts[st].at.Before(t.Add(time.Hour)); st++ {
			x := h.starts[st]
			h.count(&s, x)
			if !x.ok {
				continue
			}
			hour.Starts++
			if x.took > 0 {
				took = append(took, x.took)
			}
		}
		hour.P50, hour.P95 = percentile(took, 50), percentile(took, 95)
		s.Hours = append(s.Hours, hour)
	}
	return s
}

func (h *History) count(s *Snapshot, x start) {
	if x.ok {
		s.Starts++
	} else {
		s.Failures++
	}
}

// percentile is the p-th percentile of d (nearest rank), 0 for none.
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	rank := (p*len(d) + 99) / 100 // ceil(p/100 × n)
	return d[max(rank, 1)-1]
}
