package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/simphony/simphony-remote/engine/problem"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/session"
)

// Starts run in the background: the portal's Start answers at once with a
// page that follows the progress and opens the session's page (the
// toolbar around it) when it is ready.
// A browser never waits seconds on one request, which a network hiccup (or
// a browser on the appliance's own machine noticing the container's new
// network interface) would abort.

// startState is one start the portal follows.
type startState struct {
	Name    string   `json:"name"`
	State   string   `json:"state"` // starting, ready, failed
	Steps   []string `json:"steps"`
	URL     string   `json:"url,omitempty"` // the session page, once ready
	Message string   `json:"message,omitempty"`
	ended   time.Time
}

// startKeep is how long a finished start stays visible.
const startKeep = 5 * time.Minute

type starts struct {
	mu      sync.Mutex
	m       map[string]*startState // user "/" mapping id
	changed chan struct{}          // closed (and replaced) when a start changes
}

// startWait is how long the starting page's poll waits for a change: the
// page learns of each step, and of the start being ready, at once, under
// the timeouts of proxies between the browser and the appliance.
const startWait = 10 * time.Second

// changedLocked wakes the waits; s.mu is held.
func (s *starts) changedLocked() {
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

func startKey(user, mappingID string) string { return user + "/" + mappingID }

// begin registers a start; false if one is under way.
func (s *starts) begin(key, name string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, st := range s.m {
		if st.State != "starting" && now.Sub(st.ended) > startKeep {
			delete(s.m, k)
		}
	}
	if st, ok := s.m[key]; ok && st.State == "starting" {
		return false
	}
	s.m[key] = &startState{Name: name, State: "starting"}
	s.changedLocked()
	return true
}

func (s *starts) update(key string, f func(*startState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.m[key]; ok {
		f(st)
		s.changedLocked()
	}
}

func (s *starts) get(key string) (startState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[key]
	if !ok {
		return startState{}, false
	}
	c := *st
	c.Steps = append([]string(nil), st.Steps...)
	return c, true
}

// wait returns the start of key once it differs from what the caller saw
// (seen steps, still starting), or when ctx ends or startWait passes.
func (s *starts) wait(ctx context.Context, key string, seen int) (startState, bool) {
	timer := time.NewTimer(startWait)
	defer timer.Stop()
	for {
		s.mu.Lock()
		st, ok := s.m[key]
		if !ok || st.State != "starting" || len(st.Steps) != seen {
			s.mu.Unlock()
			return s.get(key)
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return s.get(key)
		case <-timer.C:
			return s.get(key)
		}
	}
}

// Observe records the progress of starts, for the pages, from a session
// event.
func (h *Handler) Observe(e session.Event) {
	if e.Kind != session.EventProgress || e.Step == "" {
		return
	}
	h.starts.update(startKey(e.User, e.MappingID), func(st *startState) {
		if st.State == "starting" && (len(st.Steps) == 0 || st.Steps[len(st.Steps)-1] != e.Step) {
			st.Steps = append(st.Steps, e.Step)
		}
	})
}

// startBackground runs a start that outlives the request that asked for it
// (the portal service runs it, bounded by the session manager's start
// timeout); a refused one (the appliance is shutting down) fails at once.
func (h *Handler) startBackground(ctx context.Context, user, mappingID string, conf map[string]string) {
	key := startKey(user, mappingID)
	done := func(r session.Started, err error) {
		now := h.d.Now()
		h.starts.update(key, func(st *startState) {
			st.ended = now
			if err != nil {
				st.Message = problem.Sentence(err)
				st.State = "failed"
				return
			}
			// The session page, whose frame opens the session itself.
			st.State, st.URL = "ready", SessionPath(r.URLID)
			// The ready event may still be on its way to Observe.
			if n := len(st.Steps); n == 0 || st.Steps[n-1] != session.StepReady {
				st.Steps = append(st.Steps, session.StepReady)
			}
		})
	}
	if err := h.d.Portal.StartInBackground(ctx, user, mappingID, conf, done); err != nil {
		done(session.Started{}, err)
	}
}

// startingPage shows a start's progress; with ?format=json, its state for
// the page's script, which passes wait=N (the steps it has seen) to have
// the answer wait until there is news.
func (h *Handler) startingPage(w http.ResponseWriter, r *http.Request) {
	id, ok := h.requireUser(w, r)
	if !ok {
		return
	}
	mapping := r.PathValue("mapping")
	key := startKey(id.User, mapping)
	st, ok := h.starts.get(key)
	if q := r.URL.Query(); q.Get("format") == "json" {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if q.Has("wait") {
			seen, err := strconv.Atoi(q.Get("wait"))
			if err != nil || seen < 0 {
				w.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(w).Encode(map[string]string{"type": "bad_request", "message": "wait must be the number of steps seen: a whole number, 0 or more"})
				return
			}
			st, ok = h.starts.wait(r.Context(), key, seen)
		}
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]string{"type": "not_found", "message": "no start of this application is known"})
			return
		}
		_ = json.NewEncoder(w).Encode(st)
		return
	}
	if !ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if st.State == "ready" {
		http.Redirect(w, r, st.URL, http.StatusSeeOther)
		return
	}
	p := h.pageFor(id, "Starting "+st.Name)
	p.Start = &st
	p.MappingID = mapping
	if st.State == "failed" {
		p.Error = st.Message
	} else {
		p.Refresh = 2
	}
	h.render(w, http.StatusOK, "starting", p)
}

// startConf reads the portal's start form: the resolution and the
// startup data (checked by the session manager).
func startConf(r *http.Request) map[string]string {
	conf := map[string]string{}
	for field, key := range map[string]string{"resolution": protocol.ConfigResolution, "startupdata": protocol.ConfigStartupData} {
		if v := r.PostFormValue(field); v != "" {
			conf[key] = v
		}
	}
	return conf
}
