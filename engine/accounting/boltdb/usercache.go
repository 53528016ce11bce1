package boltdb

import (
	"sync"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// userCache holds users read since the last write. A reader may fill it
// only if no write committed since the reader looked at gen, so a record
// read before a write can never outlive it.
type userCache struct {
	mu  sync.RWMutex
	gen uint64
	m   map[string]accounting.User
}

func (c *userCache) get(name string) (u accounting.User, gen uint64, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	u, ok = c.m[name]
	return u, c.gen, ok
}

func (c *userCache) put(u accounting.User, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.m == nil {
		c.m = make(map[string]accounting.User)
	}
	c.m[u.Name] = u
}

// invalidate forgets every user; writers call it once they have committed.
func (c *userCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m = nil
}
