package audit

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// SocketAddress is the Address of requests through the admin socket.
const SocketAddress = "admin.sock"

// Peer is the process at the other end of a unix socket connection, as
// the kernel tells it (SO_PEERCRED): what it was when it connected.
type Peer struct {
	UID, GID uint32
	PID      int32
}

type peerKey struct{}

// PeerFrom returns the Peer that ConnContext stored in ctx, if any.
func PeerFrom(ctx context.Context) (Peer, bool) {
	p, ok := ctx.Value(peerKey{}).(Peer)
	return p, ok
}

// ConnContext is an http.Server's ConnContext for the admin socket: it
// reads the credentials of the peer of a unix socket connection into the
// connection's context, for SocketActor. Other connections, or a peer
// whose credentials cannot be read (on systems other than Linux), leave
// ctx as it is.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return ctx
	}
	p, err := peerOf(uc)
	if err != nil {
		return ctx
	}
	return context.WithValue(ctx, peerKey{}, p)
}

// SocketActor sets the Actor of every request to the admin socket: "socket
// uid 1000 (alice)" (the uid alone when it has no user name), or "socket
// (unknown peer)" without ConnContext's credentials; address SocketAddress.
func SocketActor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		next.ServeHTTP(w, r.WithContext(WithActor(ctx, socketActor(ctx))))
	})
}

func socketActor(ctx context.Context) Actor {
	p, ok := PeerFrom(ctx)
	if !ok {
		return Actor{Name: "socket (unknown peer)", Address: SocketAddress}
	}
	return Actor{Name: "socket " + names.of(p.UID), Address: SocketAddress}
}

// names caches uidName: a lookup may read /etc/passwd or ask NSS, and the
// same few uids use the socket again and again.
var names = &uidNames{m: map[uint32]string{}}

type uidNames struct {
	mu sync.Mutex
	m  map[uint32]string
}

func (n *uidNames) of(uid uint32) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	s, ok := n.m[uid]
	if !ok {
		s = uidName(uid)
		n.m[uid] = s
	}
	return s
}
