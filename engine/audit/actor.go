package audit

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"strconv"
)

// Actor is who acts: recorded in every entry made with a context that
// carries it.
type Actor struct {
	// Name is the signed-in user's name, or a description of a local
	// caller such as "socket uid 1000 (alice)".
	Name string
	// Address is where the request came from: the client's IP address,
	// "admin.sock", or "local".
	Address string
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the Actor that ctx carries, if any.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// CommandActor is the user running this process, for changes a command
// makes to a database file itself: "command uid 1000 (alice)", address
// "local".
func CommandActor() Actor {
	return Actor{Name: "command " + uidName(uint32(os.Getuid())), Address: "local"}
}

// uidName describes a uid: "uid 1000 (alice)", or "uid 1000" when it has
// no user name.
func uidName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil && u.Username != "" {
		return fmt.Sprintf("uid %s (%s)", id, u.Username)
	}
	return "uid " + id
}
