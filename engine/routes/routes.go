// Package routes is the in-memory table of running sessions that the proxy
// reads on every request: url id → where the session's container listens
// and whose it is. The session manager writes it; nothing reloads the proxy.
package routes

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Route is one running session.
type Route struct {
	URLID       string    // 32 hex, the session's id in URLs
	User        string    // the owner
	MappingID   string    // the grant it runs under
	Image       string    // the application's image
	ContainerID string    // Docker's container id
	Upstream    string    // HOST:PORT the container's HTTP listens on (127.0.0.1)
	URLPath     string    // /user/{name}/containers/{url_id}/
	Started     time.Time // when it became ready (or was found again)

	// ContainerName is the container's name (as `docker ps` shows it).
	ContainerName string
	// SessionKey is the secret the proxy sends to the container in
	// protocol.HeaderSessionKey; never shown to anybody.
	SessionKey string `json:"-"`

	// lastActive is the Unix time in nanoseconds of the latest proxied
	// request or WebSocket traffic, shared by every copy of the route.
	lastActive *atomic.Int64
}

// Touch records activity on the session now.
func (r Route) Touch(now time.Time) {
	if r.lastActive != nil {
		r.lastActive.Store(now.UnixNano())
	}
}

// TrafficGranularity is how stale LastActive may be on a session whose
// only activity is WebSocket traffic: Traffic records it no more often.
const TrafficGranularity = time.Second

// Traffic records traffic at now on one of the session's WebSockets, as
// activity. A connection calls it for every frame, either way: it reads
// the shared time and stores only when that is TrafficGranularity old,
// at most once a second for the whole session.
func (r Route) Traffic(now time.Time) {
	if r.lastActive == nil {
		return
	}
	n := now.UnixNano()
	if last := r.lastActive.Load(); n-last >= int64(TrafficGranularity) {
		r.lastActive.CompareAndSwap(last, n) // another connection may have just stored
	}
}

// LastActive is the time of the latest recorded activity, or Started.
func (r Route) LastActive() time.Time {
	if r.lastActive == nil || r.lastActive.Load() == 0 {
		return r.Started
	}
	return time.Unix(0, r.lastActive.Load())
}

// Table is a concurrent map of routes by url id. The zero Table is not
// usable; use New.
type Table struct {
	mu sync.RWMutex
	m  map[string]Route
}

// New returns an empty table.
func New() *Table { return &Table{m: map[string]Route{}} }

// Get returns the route of a url id.
func (t *Table) Get(urlID string) (Route, bool) {
	t.mu.RLock()
	r, ok := t.m[urlID]
	t.mu.RUnlock()
	return r, ok
}

// Put adds or replaces a route.
func (t *Table) Put(r Route) {
	if r.lastActive == nil {
		r.lastActive = new(atomic.Int64)
	}
	t.mu.Lock()
	t.m[r.URLID] = r
	t.mu.Unlock()
}

// Delete removes the route of a url id and returns it.
func (t *Table) Delete(urlID string) (Route, bool) {
	t.mu.Lock()
	r, ok := t.m[urlID]
	delete(t.m, urlID)
	t.mu.Unlock()
	return r, ok
}

// DeleteIf removes the route of a url id only if it still is the given
// container's, so that a late event about an old container cannot remove
// its successor's route.
func (t *Table) DeleteIf(urlID, containerID string) (Route, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.m[urlID]
	if !ok || r.ContainerID != containerID {
		return Route{}, false
	}
	delete(t.m, urlID)
	return r, true
}

// List returns every route, sorted by user then url id.
func (t *Table) List() []Route {
	t.mu.RLock()
	out := make([]Route, 0, len(t.m))
	for _, r := range t.m {
		out = append(out, r)
	}
	t.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].User != out[j].User {
			return out[i].User < out[j].User
		}
		return out[i].URLID < out[j].URLID
	})
	return out
}

// Len is the number of routes.
func (t *Table) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}
