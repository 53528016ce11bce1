package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
)

// Reconcile makes the route table match this installation's containers: a
// running container whose user and grant still exist gets its route back
// (from its labels: nothing else is needed after a restart); any other
// container of this installation (stopped, never started, orphaned by a
// crash, or whose user or grant is gone) is removed; a route whose
// container is not running goes. Containers of a start or stop under way
// are left alone, and so are those of other installations in the realm.
func (m *Manager) Reconcile(ctx context.Context) error {
	cs, err := m.rt.List(ctx)
	if err != nil {
		return fmt.Errorf("reconciling: %w", err)
	}
	running := map[string]bool{} // url id → has a running container
	var restored, removed int
	for _, c := range cs {
		user, mapping, urlID := c.Labels[protocol.LabelUser], c.Labels[protocol.LabelMappingID], c.Labels[protocol.LabelURLID]
		if m.isBusy(sessionKey(user, mapping)) {
			running[urlID] = true
			continue
		}
		if !m.ours(ctx, c) {
			continue
		}
		reason := m.keepReason(ctx, c)
		if reason != "" {
			if err := m.rt.Remove(ctx, c.ID); err != nil {
				return fmt.Errorf("reconciling: removing container %s: %w", c.Name, err)
			}
			removed++
			m.opts.Log.Info().Str("container", c.Name).Str("user", user).Str("url_id", urlID).Str("reason", reason).Msg("removed a container")
			continue
		}
		running[urlID] = true
		if r, ok := m.routes.Get(urlID); ok && r.ContainerID == c.ID {
			continue
		}
		if _, err := m.restore(ctx, c); err == nil {
			restored++
		}
	}
	var dropped int
	for _, r := range m.routes.List() {
		if running[r.URLID] || m.isBusy(sessionKey(r.User, r.MappingID)) {
			continue
		}
		if _, ok := m.routes.DeleteIf(r.URLID, r.ContainerID); ok {
			dropped++
			m.publish(Event{Kind: EventStopped, User: r.User, MappingID: r.MappingID, URLID: r.URLID, Message: "the container is gone"})
			m.opts.Log.Info().Str("user", r.User).Str("url_id", r.URLID).Msg("dropped the route of a vanished container")
		}
	}
	ev := m.opts.Log.Debug() // a reconcile that changed nothing is not news
	if restored+removed+dropped > 0 {
		ev = m.opts.Log.Info()
	}
	ev.Int("containers", len(cs)).Int("restored", restored).Int("removed", removed).Int("dropped", dropped).Msg("reconciled sessions")
	m.reconciled.Store(true)
	return nil
}

// ours says whether a container of the realm belongs to this installation:
// it carries this installation's id or, started before installations had
// ids, none and a grant of this installation's database (mapping ids are
// random: another database does not hold the same one). Another
// installation's container is logged once and left alone.
func (m *Manager) ours(ctx context.Context, c Container) bool {
	switch id := c.Labels[protocol.LabelInstallation]; id {
	case m.opts.Installation:
		return true
	case "":
		g, err := m.accounts.GrantByID(ctx, c.Labels[protocol.LabelMappingID])
		if err == nil && g.User == c.Labels[protocol.LabelUser] || err != nil && !errors.Is(err, accounting.ErrNotFound) {
			return true // ours, or the database cannot tell: nothing is removed on a guess
		}
	}
	m.mu.Lock()
	first := !m.foreign[c.ID]
	m.foreign[c.ID] = true
	m.mu.Unlock()
	if first {
		m.opts.Log.Warn().Str("container", c.Name).Str("installation", c.Labels[protocol.LabelInstallation]).
			Str("realm", m.opts.Realm).Msg("a container of this realm belongs to another installation (another appliance on this Docker Engine, with another database): left alone")
	}
	return false
}

// restore puts the route of a running container of this installation back
// into the table, with the time its container started and its key. When
// the container cannot be inspected, no route is made: one without the
// key would be refused by the session's image until it stopped, while a
// session left without a route is restored by the next reconcile, or on
// its next request (Repair).
func (m *Manager) restore(ctx context.Context, c Container) (routes.Route, error) {
	user, urlID := c.Labels[protocol.LabelUser], c.Labels[protocol.LabelURLID]
	full, err := m.rt.Inspect(ctx, c.ID)
	if err != nil {
		m.opts.Log.Warn().Err(err).Str("container", c.Name).Str("url_id", urlID).Msg("inspecting a running session failed: its route waits for the next reconcile")
		return routes.Route{}, fmt.Errorf("restoring the session %s: %w", urlID, err)
	}
	started := full.Started
	if started.IsZero() {
		started = m.opts.Now()
	}
	r := routes.Route{
		URLID: urlID, User: user, MappingID: c.Labels[protocol.LabelMappingID], Image: c.Image, ContainerID: c.ID,
		Upstream: c.Address, URLPath: protocol.URLPath(user, urlID), Started: started,
		SessionKey: full.SessionKey,
	}
	r.ContainerName = c.Name
	m.routes.Put(r)
	m.opts.Log.Info().Str("container", c.Name).Str("user", user).Str("url_id", urlID).Time("started", started).Msg("restored the route of a running session")
	return r, nil
}

// keepReason says why a container must go, or "" when it may stay.
func (m *Manager) keepReason(ctx context.Context, c Container) string {
	user, mapping, urlID := c.Labels[protocol.LabelUser], c.Labels[protocol.LabelMappingID], c.Labels[protocol.LabelURLID]
	switch {
	case !c.Running:
		return "not running"
	case c.Address == "":
		return "no published port"
	case !accounting.IsMappingID(urlID) || strings.TrimSuffix(c.Labels[protocol.LabelURLPath], "/") != strings.TrimSuffix(protocol.URLPath(user, urlID), "/"):
		return "malformed runinfo labels"
	}
	if _, err := m.accounts.User(ctx, user); errors.Is(err, accounting.ErrNotFound) {
		return "the user no longer exists"
	}
	g, err := m.accounts.GrantByID(ctx, mapping)
	if errors.Is(err, accounting.ErrNotFound) || err == nil && g.User != user {
		return "the grant no longer exists"
	}
	return ""
}

// Run follows the runtime's container events until ctx ends: a container
// that stops loses its route and is removed. Whenever the event stream
// (re)connects, Run reconciles, so that nothing missed while Docker was
// away stays wrong. It retries with backoff while the runtime is away.
func (m *Manager) Run(ctx context.Context) error {
	backoff := time.Second
	for {
		streamCtx, cancel := context.WithCancel(ctx)
		evs, errs := m.rt.Events(streamCtx)
		err := m.Reconcile(streamCtx)
		if err == nil {
			backoff = time.Second
			err = m.follow(streamCtx, evs, errs)
		}
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		m.opts.Log.Warn().Err(err).Dur("retry_in_ms", backoff).Msg("lost the container runtime's events")
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (m *Manager) follow(ctx context.Context, evs <-chan ContainerEvent, errs <-chan error) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err, ok := <-errs:
			if !ok {
				return errors.New("the event stream ended")
			}
			return err
		case ev, ok := <-evs:
			if !ok {
				return errors.New("the event stream ended")
			}
			m.containerStopped(ctx, ev)
		}
	}
}

// containerStopped handles a container of the realm that died or went away.
func (m *Manager) containerStopped(ctx context.Context, ev ContainerEvent) {
	user, mapping, urlID := ev.Labels[protocol.LabelUser], ev.Labels[protocol.LabelMappingID], ev.Labels[protocol.LabelURLID]
	if m.isBusy(sessionKey(user, mapping)) {
		return // the start or stop under way deals with its container
	}
	r, ok := m.routes.DeleteIf(urlID, ev.ContainerID)
	if !ok {
		return
	}
	log := m.opts.Log.Info().Str("user", user).Str("url_id", urlID).Str("event", ev.Action)
	if c, err := m.rt.Inspect(ctx, ev.ContainerID); err == nil && !c.Running {
		log = log.Int("exit_code", c.ExitCode).Str("output", c.Output)
	}
	log.Msg("session ended: its container stopped")
	m.publish(Event{Kind: EventStopped, User: r.User, MappingID: r.MappingID, URLID: r.URLID, Message: "the application stopped"})
	if err := m.rt.Remove(ctx, ev.ContainerID); err != nil {
		m.opts.Log.Error().Err(err).Str("container", ev.ContainerID).Msg("removing a stopped container")
	}
}

// Repair looks for a running container of the realm serving urlID whose
// route is missing (after a restart, before reconciling) and restores its
// route if it still belongs. Lookups are rate limited, so that requests
// for made-up url ids cannot flood the container runtime.
func (m *Manager) Repair(ctx context.Context, urlID string) (routes.Route, bool) {
	if r, ok := m.routes.Get(urlID); ok {
		return r, true
	}
	if !accounting.IsMappingID(urlID) || !m.repairs.Allow() {
		return routes.Route{}, false
	}
	cs, err := m.rt.List(ctx)
	if err != nil {
		return routes.Route{}, false
	}
	for _, c := range cs {
		if c.Labels[protocol.LabelURLID] != urlID {
			continue
		}
		user, mapping := c.Labels[protocol.LabelUser], c.Labels[protocol.LabelMappingID]
		if m.isBusy(sessionKey(user, mapping)) || !m.ours(ctx, c) || m.keepReason(ctx, c) != "" {
			return routes.Route{}, false
		}
		r, err := m.restore(ctx, c)
		return r, err == nil
	}
	return routes.Route{}, false
}

// Gone checks a session whose application did not answer: if its
// container stopped or vanished, the route goes and true is returned.
func (m *Manager) Gone(ctx context.Context, r routes.Route) bool {
	c, err := m.rt.Inspect(ctx, r.ContainerID)
	if err == nil && c.Running {
		return false
	}
	if err != nil && !errors.Is(err, ErrContainerGone) {
		return false
	}
	if _, ok := m.routes.DeleteIf(r.URLID, r.ContainerID); ok {
		m.publish(Event{Kind: EventStopped, User: r.User, MappingID: r.MappingID, URLID: r.URLID, Message: "the application stopped"})
		m.opts.Log.Info().Str("user", r.User).Str("url_id", r.URLID).Msg("dropped the route of a session that stopped answering")
		if m.ops.Begin() {
			go func() {
				defer m.ops.End()
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
				defer cancel()
				_ = m.rt.Remove(ctx, r.ContainerID)
			}()
		}
	}
	return true
}
