package session

import (
	"errors"
	"sync"
)

// ErrShuttingDown: the manager is closing and accepts no new start or stop.
var ErrShuttingDown = errors.New("the appliance is shutting down")

// inflight counts the starts, stops and clean-ups under way, so that Close
// can wait for them before the appliance closes the store and the Docker
// client they use. Once closed it admits nothing more (a WaitGroup may not
// grow from zero while somebody waits on it).
type inflight struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// begin admits one more operation, or says that the manager is closed.
func (f *inflight) begin() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.wg.Add(1)
	return true
}

func (f *inflight) end() { f.wg.Done() }

// close admits nothing more and waits for what is under way.
func (f *inflight) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.wg.Wait()
}
