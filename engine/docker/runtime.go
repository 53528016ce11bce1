package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/docker/go-connections/nat"

	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/session"
)

// Runtime runs session containers on a Docker Engine. It implements
// session.Runtime for one realm.
type Runtime struct {
	c     *Client
	realm string
}

// NewRuntime returns the runtime of realm on c.
func NewRuntime(c *Client, realm string) *Runtime { return &Runtime{c: c, realm: realm} }

// stopTimeout is how long a container gets to exit after SIGTERM.
const stopTimeout = 5

// outputLines is how much of a stopped container's output Inspect returns.
const outputLines = 20

var httpPort = nat.Port(strconv.Itoa(protocol.ContainerPort) + "/tcp")

// sessionErr maps Docker errors to the session package's.
func (r *Runtime) sessionErr(doing string, err error) error {
	err = r.c.classify(err)
	switch {
	case errors.Is(err, ErrUnreachable):
		return fmt.Errorf("%s: %w: %w", doing, session.ErrUnavailable, err)
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("%s: %w: %w", doing, session.ErrContainerGone, err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// Image implements session.Runtime.
func (r *Runtime) Image(ctx context.Context, ref string) (protocol.Image, error) {
	ctx, cancel, err := r.c.op(ctx)
	if err != nil {
		return protocol.Image{}, r.sessionErr("inspecting image "+ref, err)
	}
	defer cancel()
	info, err := r.c.api.ImageInspect(ctx, ref)
	if err != nil {
		err = r.c.classify(err)
		if errors.Is(err, ErrNotFound) {
			return protocol.Image{}, fmt.Errorf("%w: %s is not in the Docker Engine at %s", session.ErrImageNotFound, ref, r.c.Host())
		}
		return protocol.Image{}, r.sessionErr("inspecting image "+ref, err)
	}
	var labels map[string]string
	if info.Config != nil {
		labels = info.Config.Labels
	}
	return protocol.ParseImage(ref, info.ID, labels)
}

// Create implements session.Runtime. The container publishes its HTTP port
// on 127.0.0.1 only, on a port Docker chooses, runs under Docker's init,
// and gets the spec's limits and binds. A create whose ctx ends while
// Docker works on it returns ctx's error, and leaves no container.
func (r *Runtime) Create(ctx context.Context, spec session.Spec) (session.Container, error) {
	env := make([]string, 0, len(spec.Env))
	for k, v := range spec.Env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	mounts := make([]mount.Mount, len(spec.Mounts))
	for i, m := range spec.Mounts {
		mounts[i] = mount.Mount{Type: mount.TypeBind, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
	}
	init := true
	host := &container.HostConfig{
		PortBindings: nat.PortMap{httpPort: {{HostIP: "127.0.0.1", HostPort: ""}}},
		Mounts:       mounts,
		Init:         &init,
		CapDrop:      []string{"NET_RAW", "MKNOD", "AUDIT_WRITE"},
		Resources:    container.Resources{Memory: spec.Limits.Memory, NanoCPUs: int64(math.Round(spec.Limits.CPUs * 1e9))},
	}
	if spec.Limits.Memory > 0 {
		host.MemorySwap = spec.Limits.Memory // no swap beyond the memory limit
	}
	if spec.Limits.Pids > 0 {
		pids := spec.Limits.Pids
		host.PidsLimit = &pids
	}
	if spec.NoNewPrivileges {
		host.SecurityOpt = []string{"no-new-privileges"}
	}
	cfg := &container.Config{
		Image:        spec.Image,
		Env:          env,
		Labels:       spec.Labels,
		ExposedPorts: nat.PortSet{httpPort: {}},
		User:         spec.User,
	}
	if err := ctx.Err(); err != nil {
		return session.Container{}, r.sessionErr("creating container "+spec.Name, err)
	}
	// The call is not abandoned when ctx ends: Docker goes on creating a
	// container whose client left, so a removal made then would find none
	// yet, and the container would appear a moment later. A create takes
	// tens of milliseconds: it is waited for, and what it made is removed
	// if ctx ended meanwhile.
	opCtx, cancel, err := r.c.op(context.WithoutCancel(ctx))
	if err != nil {
		return session.Container{}, r.sessionErr("creating container "+spec.Name, err)
	}
	defer cancel()
	resp, err := r.c.api.ContainerCreate(opCtx, cfg, host, nil, nil, spec.Name)
	if err != nil {
		if opCtx.Err() != nil {
			// Timed out: Docker may create it still (best effort).
			r.removeQuietly(ctx, spec.Name)
		}
		if cerrdefs.IsNotFound(err) {
			return session.Container{}, fmt.Errorf("creating container %s: %w: %v", spec.Name, session.ErrImageNotFound, err)
		}
		return session.Container{}, r.sessionErr("creating container "+spec.Name, err)
	}
	if err := ctx.Err(); err != nil {
		r.removeQuietly(ctx, resp.ID)
		return session.Container{}, r.sessionErr("creating container "+spec.Name, err)
	}
	return session.Container{ID: resp.ID, Name: spec.Name, Image: spec.Image, Labels: spec.Labels}, nil
}

func (r *Runtime) removeQuietly(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.c.timeout)
	defer cancel()
	_ = r.Remove(ctx, id)
}

// Start implements session.Runtime.
func (r *Runtime) Start(ctx context.Context, id string) (session.Container, error) {
	opCtx, cancel, err := r.c.op(ctx)
	if err != nil {
		return session.Container{}, r.sessionErr("starting container "+short(id), err)
	}
	defer cancel()
	if err := r.c.api.ContainerStart(opCtx, id, container.StartOptions{}); err != nil {
		return session.Container{}, r.sessionErr("starting container "+short(id), err)
	}
	return r.Inspect(ctx, id)
}

// Inspect implements session.Runtime.
func (r *Runtime) Inspect(ctx context.Context, id string) (session.Container, error) {
	ctx, cancel, err := r.c.op(ctx)
	if err != nil {
		return session.Container{}, r.sessionErr("inspecting container "+short(id), err)
	}
	defer cancel()
	info, err := r.c.api.ContainerInspect(ctx, id)
	if err != nil {
		return session.Container{}, r.sessionErr("inspecting container "+short(id), err)
	}
	c := session.Container{ID: info.ID, Name: strings.TrimPrefix(info.Name, "/")}
	if info.Config != nil {
		c.Image, c.Labels = info.Config.Image, info.Config.Labels
		for _, kv := range info.Config.Env {
			if v, ok := strings.CutPrefix(kv, protocol.EnvSessionKey+"="); ok {
				c.SessionKey = v
			}
		}
	}
	if info.State != nil {
		c.Running = info.State.Running
		c.ExitCode = info.State.ExitCode
		c.Started, _ = time.Parse(time.RFC3339Nano, info.State.StartedAt)
	}
	if info.NetworkSettings != nil {
		for _, b := range info.NetworkSettings.Ports[httpPort] {
			if b.HostIP == "127.0.0.1" && b.HostPort != "" {
				c.Address = net.JoinHostPort(b.HostIP, b.HostPort)
			}
		}
	}
	if !c.Running {
		c.Output = r.output(ctx, id)
	}
	return c, nil
}

// output returns the last lines a container wrote, for error messages.
func (r *Runtime) output(ctx context.Context, id string) string {
	rc, err := r.c.api.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: strconv.Itoa(outputLines)})
	if err != nil {
		return ""
	}
	defer rc.Close()
	var buf bytes.Buffer
	lw := &limitedWriter{w: &buf, n: 8 << 10}
	_, _ = stdcopy.StdCopy(lw, lw, rc)
	return strings.TrimSpace(buf.String())
}

type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n <= 0 {
		return len(p), nil
	}
	k := min(len(p), l.n)
	l.n -= k
	_, err := l.w.Write(p[:k])
	return len(p), err
}

// Remove implements session.Runtime: stop (SIGTERM, then SIGKILL after a
// few seconds) and remove. A container that is already gone, or being
// removed, is fine.
func (r *Runtime) Remove(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, r.c.timeout+stopTimeout*time.Second)
	defer cancel()
	if err := r.c.negotiate(ctx); err != nil {
		return r.sessionErr("stopping container "+short(id), err)
	}
	timeout := stopTimeout
	err := r.c.api.ContainerStop(ctx, id, container.StopOptions{Timeout: &timeout})
	if err != nil && !cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) {
		return r.sessionErr("stopping container "+short(id), err)
	}
	err = r.c.api.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err == nil || cerrdefs.IsNotFound(err) || cerrdefs.IsConflict(err) && strings.Contains(err.Error(), "already in progress") {
		return nil
	}
	return r.sessionErr("removing container "+short(id), err)
}

func (r *Runtime) realmFilter() filters.Args {
	return filters.NewArgs(filters.Arg("label", protocol.LabelRealm+"="+r.realm))
}

// List implements session.Runtime.
func (r *Runtime) List(ctx context.Context) ([]session.Container, error) {
	ctx, cancel, err := r.c.op(ctx)
	if err != nil {
		return nil, r.sessionErr("listing containers", err)
	}
	defer cancel()
	list, err := r.c.api.ContainerList(ctx, container.ListOptions{All: true, Filters: r.realmFilter()})
	if err != nil {
		return nil, r.sessionErr("listing containers", err)
	}
	out := make([]session.Container, 0, len(list))
	for _, s := range list {
		c := session.Container{ID: s.ID, Image: s.Image, Labels: s.Labels, Running: s.State == container.StateRunning}
		if len(s.Names) > 0 {
			c.Name = strings.TrimPrefix(s.Names[0], "/")
		}
		for _, p := range s.Ports {
			if p.PrivatePort == protocol.ContainerPort && p.Type == "tcp" && p.IP == "127.0.0.1" && p.PublicPort != 0 {
				c.Address = net.JoinHostPort(p.IP, strconv.Itoa(int(p.PublicPort)))
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// Events implements session.Runtime: die and destroy events of the realm's
// containers. The stream must connect within the network timeout: an
// engine that accepts the connection and never answers is an error, as
// one that refuses it.
func (r *Runtime) Events(ctx context.Context) (<-chan session.ContainerEvent, <-chan error) {
	f := r.realmFilter()
	f.Add("type", string(events.ContainerEventType))
	f.Add("event", string(events.ActionDie))
	f.Add("event", string(events.ActionDestroy))
	out := make(chan session.ContainerEvent)
	outErr := make(chan error, 1)
	go func() {
		defer close(out)
		defer close(outErr)
		fail := func(err error) {
			if ctx.Err() == nil {
				outErr <- r.sessionErr("following container events", err)
			}
		}
		if err := r.c.negotiate(ctx); err != nil {
			fail(err)
			return
		}
		streamCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		// The SDK returns once the engine answered the request.
		connect := time.AfterFunc(r.c.timeout, cancel)
		msgs, errs := r.c.api.Events(streamCtx, events.ListOptions{Filters: f})
		if !connect.Stop() {
			fail(fmt.Errorf("%w at %s: no answer to the event stream request within %s", ErrUnreachable, r.c.Host(), r.c.timeout))
			return
		}
		for {
			select {
			case m := <-msgs:
				ev := session.ContainerEvent{ContainerID: m.Actor.ID, Labels: m.Actor.Attributes, Action: string(m.Action)}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			case err := <-errs:
				fail(err)
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, outErr
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

var _ session.Runtime = (*Runtime)(nil)
