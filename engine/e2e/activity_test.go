package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
)

// TestWebSocketTrafficIsActivity: messages over a session's WebSocket
// only, the owner's (through reverse_proxy) and a shared user's (through
// the relay), move the session's last_active, as a day spent in a
// desktop must not look idle. The appliance records it once a second at
// most, so each case polls, exchanging messages, until it moves.
func TestWebSocketTrafficIsActivity(t *testing.T) {
	s := newSetup(t)
	shareable, err := s.App.Store().Grant(t.Context(), "alice", s.image, accounting.Policy{AllowView: true, AllowHome: true})
	if err != nil {
		t.Fatal(err)
	}
	alice := tokenFor(t, s.Server, "alice", "password-alice")
	bob := tokenFor(t, s.Server, "bob", "password-bob")
	var session wire.Container
	alice.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: shareable}, http.StatusCreated, &session)
	alice.json("POST", "/api/v1/containers/"+session.URLID+"/shares", wire.ShareRequest{User: "bob", Mode: "control"}, http.StatusCreated, nil)
	lastActive := func() time.Time {
		var c wire.Container
		alice.json("GET", "/api/v1/containers/"+session.URLID, nil, http.StatusOK, &c)
		return c.LastActive
	}

	for _, tt := range []struct{ name, token string }{
		{"owner", alice.token},
		{"shared", bob.token},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := openWS(t, s, session.URLPath, nil, tt.token)
			before := lastActive() // the handshake's, an HTTP request
			for deadline := time.Now().Add(15 * time.Second); ; {
				if err := echoes(t, c); err != nil {
					t.Fatalf("the WebSocket stopped echoing: %v", err)
				}
				if now := lastActive(); now.After(before) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("last_active is still %v, the handshake's, after 15 s of WebSocket messages", before)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}
