package session

import (
	"context"
	"sync"
	"time"
)

// Event kinds.
const (
	EventProgress = "progress" // a step of a start
	EventStarted  = "started"  // a session is ready
	EventStopped  = "stopped"  // a session ended
	EventFailed   = "failed"   // a start failed
)

// Steps of a start, in order, reported as EventProgress.
const (
	StepImage     = "image inspected"
	StepCreated   = "container created"
	StepStarted   = "container started"
	StepWaiting   = "waiting for HTTP"
	StepReady     = "ready"
	StepLeftover  = "removing a container that no longer ran"
	StepCleanedUp = "cleaned up"
)

// Event is something that happened to a session, for the portal's live
// view and the API's event stream.
type Event struct {
	Kind      string    `json:"kind"`
	User      string    `json:"user"`
	MappingID string    `json:"mapping_id"`
	URLID     string    `json:"url_id,omitempty"`
	Step      string    `json:"step,omitempty"`
	Message   string    `json:"message,omitempty"`
	Time      time.Time `json:"time"`
	// Took is how long a start took (EventStarted and EventFailed).
	Took time.Duration `json:"-"`
}

// Each calls handle with every event from events, in order, until ctx
// ends or events is closed.
func Each(ctx context.Context, events <-chan Event, handle func(Event)) {
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			handle(e)
		}
	}
}

// eventBuffer is how many events a slow subscriber may lag behind before
// it misses some.
const eventBuffer = 64

// broadcaster fans events out to subscribers without ever blocking the
// publisher: a subscriber that does not keep up misses events.
type broadcaster struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
}

func (b *broadcaster) subscribe() (<-chan Event, func()) {
	ch := make(chan Event, eventBuffer)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[chan Event]struct{}{}
	}
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, ch)
			b.mu.Unlock()
			close(ch)
		})
	}
}

func (b *broadcaster) publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- e:
		default:
		}
	}
}
