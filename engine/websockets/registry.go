// Package websockets keeps the live WebSockets of sessions, the owner's
// (carried by the Caddy module's tunnel) and shared users' (carried by the
// engine's relay) alike, by user, by the credential that opened them and
// by session: so that signing out, a new password, disabling or removing a
// user, deleting an API token, revoking a share and stopping a session
// close the WebSockets they should, at once; and so that a user, and
// everybody together, can hold only so many.
package websockets

import (
	"errors"
	"fmt"
	"sync"
)

// Kind is how a WebSocket reaches its session.
type Kind string

// Kinds of WebSockets.
const (
	Owner  Kind = "owner"  // the session's owner, through the module's tunnel
	Shared Kind = "shared" // a user the session is shared with, through the relay
)

// Kinds lists every Kind, for metrics.
var Kinds = []Kind{Owner, Shared}

// Key says who opened a WebSocket, with what, to which session.
type Key struct {
	User string
	// Credential is what the handshake was authenticated with:
	// LoginCredential or TokenCredential.
	Credential string
	URLID      string
	Kind       Kind
}

// LoginCredential names a browser's login session by its id hash.
func LoginCredential(idHash string) string { return "login:" + idHash }

// TokenCredential names an API token by its id.
func TokenCredential(id string) string { return "token:" + id }

// Reason is the WebSocket close code and text a client is told.
type Reason struct {
	Code int
	Text string
}

// Close reasons (RFC 6455 codes: 1001 going away, 1008 policy violation,
// 1013 try again later).
var (
	SignedOut    = Reason{1008, "signed out"}
	UserRevoked  = Reason{1008, "signed out everywhere: the account was changed, disabled or removed"}
	TokenDeleted = Reason{1008, "the API token was deleted"}
	ShareRevoked = Reason{1008, "access revoked"}
	SessionEnded = Reason{1001, "the session ended"}
	ShuttingDown = Reason{1001, "the proxy is going away"}
)

// Limits cap the open WebSockets; 0 is no cap.
type Limits struct {
	PerUser int
	Total   int
}

// LimitError is why Open refused a WebSocket.
type LimitError struct {
	// Which is "per_user" or "total", as in the metrics.
	Which string
	Limit int
}

func (e *LimitError) Error() string {
	if e.Which == RefusedPerUser {
		return fmt.Sprintf("too many WebSockets: at most %d per user are open at once; close a tab or window of this session or another and retry", e.Limit)
	}
	return fmt.Sprintf("too many WebSockets on this server (at most %d); try again later", e.Limit)
}

// Reason is the close code and text a refused client is told: 1008 for
// the per-user cap (the user can do something about it), 1013 (try again
// later) for the total.
func (e *LimitError) Reason() Reason {
	if e.Which == RefusedPerUser {
		return Reason{1008, e.Error()}
	}
	return Reason{1013, e.Error()}
}

// Values of LimitError.Which.
const (
	RefusedPerUser = "per_user"
	RefusedTotal   = "total"
)

// ErrLimit matches every *LimitError with errors.Is.
var ErrLimit = errors.New("too many WebSockets")

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// ErrClosed is Open's refusal once CloseAll ran (the proxy is shutting
// down).
var ErrClosed = errors.New("the proxy is shutting down")

// Registry holds the open WebSockets. It is safe for concurrent use.
type Registry struct {
	mu      sync.Mutex
	limits  Limits
	live    map[*entry]struct{}
	perUser map[string]int
	perKind map[Kind]int
	refused map[string]uint64
	closed  bool // CloseAll ran: Open refuses
}

type entry struct {
	key   Key
	close func(Reason)
}

// New returns an empty registry with limits.
func New(limits Limits) *Registry {
	return &Registry{
		limits: limits, live: map[*entry]struct{}{},
		perUser: map[string]int{}, perKind: map[Kind]int{}, refused: map[string]uint64{},
	}
}

// Open registers a WebSocket being opened, with the function that closes
// it (with a reason for its client), or refuses it with a *LimitError
// when its user or everybody holds the most allowed. The returned done
// removes it; call it when the WebSocket has ended (calling it more than
// once is harmless). close is called at most once, outside the registry's
// lock, and must not block for long. Once CloseAll ran, Open refuses with
// ErrClosed.
func (g *Registry) Open(k Key, close func(Reason)) (done func(), err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, ErrClosed
	}
	if g.limits.PerUser > 0 && g.perUser[k.User] >= g.limits.PerUser {
		g.refused[RefusedPerUser]++
		return nil, &LimitError{Which: RefusedPerUser, Limit: g.limits.PerUser}
	}
	if g.limits.Total > 0 && len(g.live) >= g.limits.Total {
		g.refused[RefusedTotal]++
		return nil, &LimitError{Which: RefusedTotal, Limit: g.limits.Total}
	}
	e := &entry{key: k, close: close}
	g.live[e] = struct{}{}
	g.perUser[k.User]++
	g.perKind[k.Kind]++
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.remove(e)
	}, nil
}

// remove drops e if it is still registered; g.mu is held.
func (g *Registry) remove(e *entry) bool {
	if _, ok := g.live[e]; !ok {
		return false
	}
	delete(g.live, e)
	if g.perUser[e.key.User]--; g.perUser[e.key.User] <= 0 {
		delete(g.perUser, e.key.User)
	}
	g.perKind[e.key.Kind]--
	return true
}

// closeWhere closes (and forgets) every WebSocket whose key matches, and
// returns how many.
func (g *Registry) closeWhere(match func(Key) bool, why Reason) int {
	var closing []*entry
	g.mu.Lock()
	for e := range g.live {
		if match(e.key) {
			g.remove(e)
			closing = append(closing, e)
		}
	}
	g.mu.Unlock()
	for _, e := range closing {
		e.close(why)
	}
	return len(closing)
}

// CloseCredential closes the WebSockets opened with a credential (a
// login session signed out, an API token deleted).
func (g *Registry) CloseCredential(credential string, why Reason) int {
	return g.closeWhere(func(k Key) bool { return k.Credential == credential }, why)
}

// CloseUser closes every WebSocket of user.
func (g *Registry) CloseUser(user string, why Reason) int {
	return g.closeWhere(func(k Key) bool { return k.User == user }, why)
}

// CloseShare closes what user opened to the session urlID through a
// share (not the owner's own).
func (g *Registry) CloseShare(urlID, user string) int {
	return g.closeWhere(func(k Key) bool { return k.Kind == Shared && k.URLID == urlID && k.User == user }, ShareRevoked)
}

// CloseSession closes every WebSocket to the session urlID.
func (g *Registry) CloseSession(urlID string, why Reason) int {
	return g.closeWhere(func(k Key) bool { return k.URLID == urlID }, why)
}

// CloseAll closes every WebSocket (at shutdown), and makes Open refuse
// those still being opened.
func (g *Registry) CloseAll(why Reason) int {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	return g.closeWhere(func(Key) bool { return true }, why)
}

// Count is how many WebSockets of kind are open.
func (g *Registry) Count(kind Kind) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.perKind[kind]
}

// CountUser is how many WebSockets user holds.
func (g *Registry) CountUser(user string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.perUser[user]
}

// Refused is how many WebSockets were refused for which cap
// (RefusedPerUser or RefusedTotal).
func (g *Registry) Refused(which string) uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refused[which]
}

// Limits are the registry's caps.
func (g *Registry) Limits() Limits { return g.limits }
