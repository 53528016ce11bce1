package portal_test

import (
	"context"
	"sync"

	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
)

// fakeSessions are running sessions in a routes table: the narrow part of
// session.Manager the service uses (the e2e suite runs real containers).
// Start "starts" a grant by adding a route, or returns startErr.
type fakeSessions struct {
	mu       sync.Mutex
	t        *routes.Table
	grants   map[string]string // mapping id → user
	images   map[string]string // mapping id → image
	startErr error
	stopErr  error
	n        int
	// startGate, when set, is waited on at the beginning of Start.
	startGate chan struct{}
}

func newFakeSessions() *fakeSessions {
	return &fakeSessions{t: routes.New(), grants: map[string]string{}, images: map[string]string{}}
}

func (f *fakeSessions) Start(_ context.Context, user, mappingID string, _ map[string]string) (session.Started, error) {
	if f.startGate != nil {
		<-f.startGate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.startErr != nil {
		return session.Started{}, f.startErr
	}
	if f.grants[mappingID] != user {
		return session.Started{}, session.ErrNotFound
	}
	for _, rt := range f.t.List() {
		if rt.MappingID == mappingID {
			return session.Started{Route: rt, Existing: true}, nil
		}
	}
	f.n++
	rt := routes.Route{URLID: urlID(f.n), User: user, MappingID: mappingID, Image: f.images[mappingID]}
	rt.URLPath = "/user/" + user + "/containers/" + rt.URLID + "/"
	f.t.Put(rt)
	return session.Started{Route: rt}, nil
}

func urlID(n int) string {
	const hex = "0123456789abcdef"
	b := []byte("00000000000000000000000000000000")
	b[31] = hex[n%16]
	b[30] = hex[n/16%16]
	return string(b)
}

func (f *fakeSessions) Stop(_ context.Context, user, urlID string) error {
	if f.stopErr != nil {
		return f.stopErr
	}
	if r, ok := f.t.Get(urlID); !ok || r.User != user {
		return session.ErrNotFound
	}
	f.t.Delete(urlID)
	return nil
}

func (f *fakeSessions) Get(urlID string) (routes.Route, bool) { return f.t.Get(urlID) }

func (f *fakeSessions) List(user string) []routes.Route {
	var out []routes.Route
	for _, r := range f.t.List() {
		if r.User == user {
			out = append(out, r)
		}
	}
	return out
}
