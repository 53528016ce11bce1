package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/auth"
)

// eventPing keeps idle event streams (and proxies on the way) alive.
const eventPing = 25 * time.Second

// events streams the caller's session events as Server-Sent Events until
// the client goes away.
func (u *userAPI) events(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, ": simphony-remote session events\n\n"); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	events, done := u.d.Sessions.Subscribe()
	defer done()
	ping := time.NewTicker(eventPing)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-ping.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return nil
			}
		case e, ok := <-events:
			if !ok {
				return nil
			}
			if e.User != id.User {
				continue
			}
			data, _ := json.Marshal(wire.Event{Kind: e.Kind, User: e.User, MappingID: e.MappingID, URLID: e.URLID,
				Step: e.Step, Message: e.Message, Time: e.Time.UTC()})
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Kind, data); err != nil {
				return nil
			}
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}
