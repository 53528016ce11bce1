package session

import (
	"context"
	"errors"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/protocol"
)

// Runtime runs containers. engine/docker implements it on a Docker Engine;
// a Swarm or Kubernetes runtime could replace it. Every method is bounded by
// its context. Runtimes return errors matching ErrImageNotFound,
// ErrUnavailable or ErrContainerGone where those apply.
type Runtime interface {
	// Image looks an image up and parses its labels.
	Image(ctx context.Context, ref string) (protocol.Image, error)
	// Create creates (but does not start) a container.
	Create(ctx context.Context, spec Spec) (Container, error)
	// Start starts a created container and returns it with its host port.
	Start(ctx context.Context, id string) (Container, error)
	// Inspect returns a container's current state; for one that is not
	// running, with the tail of its output.
	Inspect(ctx context.Context, id string) (Container, error)
	// Remove stops and removes a container; a missing one is not an error.
	Remove(ctx context.Context, id string) error
	// List returns every container of the realm, in any state.
	List(ctx context.Context) ([]Container, error)
	// Events reports containers of the realm that stop, until ctx ends or
	// the stream fails (one error, then both channels close).
	Events(ctx context.Context) (<-chan ContainerEvent, <-chan error)
}

// Spec describes a container to create.
type Spec struct {
	Name   string
	Image  string
	Env    map[string]string
	Labels map[string]string
	Mounts []Mount
	Limits accounting.Limits
	// NoNewPrivileges keeps processes from gaining privileges.
	NoNewPrivileges bool
	// User is UID:GID to run the container's processes as; empty runs
	// them as the image's own user (an application marked run-as-root).
	User string
}

// Mount binds a host directory into the container.
type Mount struct {
	Source, Target string
	ReadOnly       bool
}

// Container is a container as the runtime reports it.
type Container struct {
	ID, Name, Image string
	Labels          map[string]string
	Running         bool
	// Address is where the appliance dials the container's HTTP port,
	// HOST:PORT; empty when it is not published or the container does not
	// run. The Docker runtime publishes it on 127.0.0.1 only; another
	// runtime (a Swarm service, say) reports the address it has.
	Address string
	// Started is when the container last started (Inspect only; zero
	// when unknown).
	Started time.Time
	// SessionKey is the session's key from the container's environment
	// (Inspect only), so that it survives an appliance restart without a
	// label, which anybody who can list containers could read.
	SessionKey string
	// ExitCode and Output describe a container that is not running:
	// its exit code and the last lines it wrote.
	ExitCode int
	Output   string
}

// ContainerEvent says that a container of the realm stopped (died or was
// removed).
type ContainerEvent struct {
	ContainerID string
	Labels      map[string]string
	Action      string // "die", "destroy", …
}

// Errors, wrapped with what was being done.
var (
	// ErrNotFound: no such grant or session for this user (another
	// user's session is "not found" too, never "forbidden").
	ErrNotFound = errors.New("not found")
	// ErrInProgress: a start or stop of the same session is under way.
	ErrInProgress = errors.New("operation in progress")
	// ErrInvalid: bad configurables.
	ErrInvalid = errors.New("invalid")
	// ErrImageNotFound: the application's image is not in the runtime.
	ErrImageNotFound = errors.New("image not found")
	// ErrUnavailable: the runtime (Docker) does not answer.
	ErrUnavailable = errors.New("container runtime unavailable")
	// ErrContainerGone: the container vanished or exited.
	ErrContainerGone = errors.New("the container stopped")
	// ErrNotReady: the application did not answer HTTP in time.
	ErrNotReady = errors.New("the application did not become ready")
	// ErrVolume: a volume of the policy cannot be mounted.
	ErrVolume = errors.New("volume unavailable")
)
