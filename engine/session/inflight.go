package session

import (
	"errors"
	"sync"
)

// ErrShuttingDown: the manager is closing and accepts no new start or stop.
var ErrShuttingDown = errors.New("the appliance is shutting down")

// Inflight counts operations under way (the manager's starts, stops and
// clean-ups; the portal's starts in the background), so that a Close can
// wait for them before the appliance closes the store and the Docker
// client they use. Once closed it admits nothing more (a WaitGroup may not
// grow from zero while somebody waits on it). The zero value is ready.
type Inflight struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// Begin admits one more operation, or says that Close was called.
func (f *Inflight) Begin() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.wg.Add(1)
	return true
}

// End ends an operation that Begin admitted.
func (f *Inflight) End() { f.wg.Done() }

// Close admits nothing more and waits for what is under way.
func (f *Inflight) Close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.wg.Wait()
}
