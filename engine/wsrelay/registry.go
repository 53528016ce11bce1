package wsrelay

import "sync"

// Registry holds the live relays by key (e.g. a session's url id and a
// user), so that revoking someone's access closes their open WebSockets.
// It is safe for concurrent use; the zero value is ready.
type Registry struct {
	mu   sync.Mutex
	live map[string]map[*entry]struct{}
}

type entry struct{ close func() }

// Add registers a relay's close function under key. The returned done
// removes it; call it when the relay ends. close must not block for long
// (a relay's starts closing and returns).
func (g *Registry) Add(key string, close func()) (done func()) {
	e := &entry{close: close}
	g.mu.Lock()
	if g.live == nil {
		g.live = make(map[string]map[*entry]struct{})
	}
	set := g.live[key]
	if set == nil {
		set = make(map[*entry]struct{})
		g.live[key] = set
	}
	set[e] = struct{}{}
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if set := g.live[key]; set != nil {
			delete(set, e)
			if len(set) == 0 {
				delete(g.live, key)
			}
		}
	}
}

// Close closes every relay registered under key and returns how many.
func (g *Registry) Close(key string) int {
	g.mu.Lock()
	set := g.live[key]
	delete(g.live, key)
	g.mu.Unlock()
	for e := range set {
		e.close()
	}
	return len(set)
}

// CloseAll closes every registered relay (at shutdown) and returns how
// many.
func (g *Registry) CloseAll() int {
	g.mu.Lock()
	live := g.live
	g.live = nil
	g.mu.Unlock()
	n := 0
	for _, set := range live {
		for e := range set {
			e.close()
			n++
		}
	}
	return n
}

// Count returns how many relays are registered under key.
func (g *Registry) Count(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.live[key])
}
