// Package session starts, stops and keeps track of users' application
// containers, and publishes their routes for the proxy.
package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/human"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/volumes"
)

// Accounts is what the manager reads from the accounting store.
type Accounts interface {
	User(ctx context.Context, name string) (accounting.User, error)
	GrantByID(ctx context.Context, mappingID string) (accounting.Grant, error)
	Application(ctx context.Context, image string) (accounting.Application, error)
	SessionUID(ctx context.Context, user string, r accounting.UIDRange) (int, error)
}

// Options configure a Manager.
type Options struct {
	// Realm tags this appliance's containers.
	Realm string
	// Installation is the accounting database's installation id: every
	// container carries it, and only containers carrying it (or, from
	// before ids existed, none and a grant of this database) are ever
	// removed, so that two appliances on one Docker Engine cannot harm
	// each other's sessions.
	Installation string
	// Base is the appliance's lifetime. Starts and stops run on it rather
	// than on their caller's context: once accepted, they run to their end
	// (bounded by their own timeouts) whatever the client does. Nil means
	// context.Background().
	Base context.Context
	// HomesDir holds the persistent homes, one directory per user.
	HomesDir string
	// UIDs is the range each user's session uid comes from (see
	// accounting.Store.SessionUID); the gid is the same number. Zero means
	// accounting.DefaultUIDRange.
	UIDs accounting.UIDRange
	// StartTimeout bounds a start, readiness included.
	StartTimeout time.Duration
	// Limits are the default container limits.
	Limits accounting.Limits
	// NoNewPrivileges is set on every container.
	NoNewPrivileges bool
	// Volumes checks a policy's volume on the host before every mount.
	// Nil refuses every volume, as an empty [volumes] allowed_roots does.
	Volumes VolumeChecker
	// Log receives what the manager does.
	Log zerolog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// errStartTimeout is the cause of a start's own deadline, told apart from
// the caller's deadline or cancellation.
var errStartTimeout = errors.New("start timeout")

// StartFailedMessage is the message of the log line of a failed start
// (fields user, mapping_id, error), which the desktop console watches for.
const StartFailedMessage = "session start failed"

// cleanupTimeout bounds removing a container after a failed start, which
// runs even when the start's own context was cancelled.
const cleanupTimeout = 30 * time.Second

// Manager starts and stops sessions. It is safe for concurrent use.
type Manager struct {
	opts     Options
	accounts Accounts
	rt       Runtime
	routes   *routes.Table
	events   broadcaster
	http     *http.Client

	mu      sync.Mutex
	busy    map[string]bool // user "/" mapping id → a start or stop is under way
	foreign map[string]bool // container ids of other installations, logged once

	repairs *rate.Limiter // bounds Repair's lookups

	reconciled atomic.Bool // a reconcile completed: the route table matches the runtime
	notRoot    sync.Once   // warns that sessions share the appliance's uid

	ops Inflight // starts, stops and clean-ups under way (Close waits for them)
}

// Close refuses new starts and stops (ErrShuttingDown) and waits for those
// under way, and for the clean-ups they left, to end. Cancel Options.Base
// first, so that they end soon; the store and the container runtime must
// stay open until Close returns.
func (m *Manager) Close() { m.ops.Close() }

// New returns a manager that runs containers on rt and publishes routes
// into table.
func New(accounts Accounts, rt Runtime, table *routes.Table, opts Options) *Manager {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Base == nil {
		opts.Base = context.Background()
	}
	if opts.Volumes == nil {
		opts.Volumes = volumes.New(volumes.Options{})
	}
	if opts.UIDs == (accounting.UIDRange{}) {
		opts.UIDs = accounting.DefaultUIDRange
	}
	return &Manager{
		opts: opts, accounts: accounts, rt: rt, routes: table,
		busy: map[string]bool{}, foreign: map[string]bool{},
		repairs: rate.NewLimiter(5, 10),
		http: &http.Client{
			Timeout: 5 * time.Second,
			// A redirect counts as an answer: do not follow it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport:     &http.Transport{DisableKeepAlives: true, Proxy: nil},
		},
	}
}

// Ready says whether a reconcile has completed: until then the route table
// may lack sessions that run (after a restart, or while Docker does not
// answer at the start).
func (m *Manager) Ready() bool { return m.reconciled.Load() }

// Routes is the table the manager publishes into.
func (m *Manager) Routes() *routes.Table { return m.routes }

// Subscribe returns a channel of session events and a function that ends
// the subscription. A subscriber that lags far behind misses events.
func (m *Manager) Subscribe() (<-chan Event, func()) { return m.events.subscribe() }

func (m *Manager) publish(e Event) {
	e.Time = m.opts.Now()
	m.events.publish(e)
}

func sessionKey(user, mappingID string) string { return user + "/" + mappingID }

// acquire marks a session key busy; false if it already was.
func (m *Manager) acquire(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.busy[key] {
		return false
	}
	m.busy[key] = true
	return true
}

func (m *Manager) release(key string) {
	m.mu.Lock()
	delete(m.busy, key)
	m.mu.Unlock()
}

func (m *Manager) isBusy(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.busy[key]
}

// Get returns a running session by url id.
func (m *Manager) Get(urlID string) (routes.Route, bool) { return m.routes.Get(urlID) }

// List returns the running sessions of a user.
func (m *Manager) List(user string) []routes.Route {
	var out []routes.Route
	for _, r := range m.routes.List() {
		if r.User == user {
			out = append(out, r)
		}
	}
	return out
}

// Stop stops a session of user. Another user's session is ErrNotFound.
func (m *Manager) Stop(ctx context.Context, user, urlID string) error {
	r, ok := m.routes.Get(urlID)
	if !ok || r.User != user {
		return fmt.Errorf("stopping session %s: %w", urlID, ErrNotFound)
	}
	return m.stop(ctx, r, user)
}

// StopAny stops any session, for administrators; by names who did it.
func (m *Manager) StopAny(ctx context.Context, urlID, by string) error {
	r, ok := m.routes.Get(urlID)
	if !ok {
		return fmt.Errorf("stopping session %s: %w", urlID, ErrNotFound)
	}
	return m.stop(ctx, r, by)
}

func (m *Manager) stop(ctx context.Context, r routes.Route, by string) error {
	if !m.ops.Begin() {
		return fmt.Errorf("stopping session %s: %w", r.URLID, ErrShuttingDown)
	}
	defer m.ops.End()
	key := sessionKey(r.User, r.MappingID)
	if !m.acquire(key) {
		return fmt.Errorf("stopping session %s: %w", r.URLID, ErrInProgress)
	}
	defer m.release(key)
	ctx, cancel := m.detach(ctx)
	defer cancel()
	if err := m.rt.Remove(ctx, r.ContainerID); err != nil {
		return fmt.Errorf("stopping session %s: %w", r.URLID, err)
	}
	if _, ok := m.routes.DeleteIf(r.URLID, r.ContainerID); ok {
		m.publish(Event{Kind: EventStopped, User: r.User, MappingID: r.MappingID, URLID: r.URLID, Message: "stopped by " + by})
	}
	m.opts.Log.Info().Str("user", r.User).Str("url_id", r.URLID).Str("by", by).Msg("session stopped")
	return nil
}

// detach returns a context with ctx's values but not its cancellation nor
// its deadline, ended only by the appliance's own lifetime (Options.Base).
func (m *Manager) detach(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	unhook := context.AfterFunc(m.opts.Base, cancel)
	return ctx, func() { unhook(); cancel() }
}

// Started is the outcome of a Start: the session, and whether it was
// already running (then nothing was started, and conf was not used).
type Started struct {
	routes.Route
	Existing bool
	// Took is how long the start took (0 for an Existing session): audit
	// it with audit.Took, so that the session history keeps it.
	Took time.Duration
}

// Start starts the application of mappingID for user and returns the
// session once its application answers HTTP. When the grant already runs,
// Start returns that session (Existing): a running session is only ever
// replaced by an explicit stop. A start or stop of the same user and
// mapping already under way fails at once with ErrInProgress. Once
// accepted, a start runs to its end whatever ctx does (a client that went
// away still finds the session listed); on any failure or timeout, nothing
// of the attempt remains.
func (m *Manager) Start(ctx context.Context, user, mappingID string, conf map[string]string) (Started, error) {
	if !m.ops.Begin() {
		return Started{}, fmt.Errorf("starting %s: %w", mappingID, ErrShuttingDown)
	}
	defer m.ops.End()
	key := sessionKey(user, mappingID)
	if !m.acquire(key) {
		return Started{}, fmt.Errorf("starting %s: %w", mappingID, ErrInProgress)
	}
	defer m.release(key)

	ctx, cancelDetached := m.detach(ctx)
	defer cancelDetached()
	ctx, cancel := context.WithTimeoutCause(ctx, m.opts.StartTimeout, errStartTimeout)
	defer cancel()
	began := m.opts.Now()
	r, existing, err := m.start(ctx, user, mappingID, conf)
	if err == nil && existing {
		m.opts.Log.Info().Str("user", user).Str("mapping_id", mappingID).Str("url_id", r.URLID).Msg("session already running: returned it")
		return Started{Route: r, Existing: true}, nil
	}
	if err != nil {
		if context.Cause(ctx) == errStartTimeout && !errors.Is(err, ErrNotReady) {
			err = fmt.Errorf("%w within %s: %w", ErrNotReady, human.Duration(m.opts.StartTimeout), err)
		}
		m.publish(Event{Kind: EventFailed, User: user, MappingID: mappingID, Message: err.Error(), Took: m.opts.Now().Sub(began)})
		m.opts.Log.Warn().Err(err).Str("user", user).Str("mapping_id", mappingID).Msg(StartFailedMessage)
		return Started{}, fmt.Errorf("starting %s: %w", mappingID, err)
	}
	took := m.opts.Now().Sub(began)
	m.publish(Event{Kind: EventStarted, User: user, MappingID: mappingID, URLID: r.URLID, Took: took})
	m.opts.Log.Info().Str("user", user).Str("mapping_id", mappingID).Str("url_id", r.URLID).
		Str("image", r.Image).Dur("took_ms", took).Msg("session started")
	return Started{Route: r, Took: took}, nil
}

// start starts a session, or returns the one of the grant that runs
// already (existing).
func (m *Manager) start(ctx context.Context, user, mappingID string, conf map[string]string) (r routes.Route, existing bool, err error) {
	progress := func(step, urlID string) {
		m.publish(Event{Kind: EventProgress, User: user, MappingID: mappingID, URLID: urlID, Step: step})
	}
	if !accounting.IsMappingID(mappingID) {
		return routes.Route{}, false, fmt.Errorf("%w: %q is not a mapping id", ErrNotFound, mappingID)
	}
	grant, err := m.accounts.GrantByID(ctx, mappingID)
	if errors.Is(err, accounting.ErrNotFound) || err == nil && grant.User != user {
		return routes.Route{}, false, fmt.Errorf("%w: user %s has no grant %s", ErrNotFound, user, mappingID)
	}
	if err != nil {
		return routes.Route{}, false, err
	}
	if r, ok, err := m.running(ctx, user, mappingID, progress); err != nil || ok {
		if ok && len(conf) > 0 {
			// Bad input is refused even when nothing would be started.
			if err := m.checkConfigurables(ctx, grant, conf); err != nil {
				return routes.Route{}, false, err
			}
		}
		return r, ok, err
	}
	r, err = m.create(ctx, user, grant, conf, progress)
	return r, false, err
}

// checkConfigurables checks what a user asked for against the grant's
// image and policy.
func (m *Manager) checkConfigurables(ctx context.Context, grant accounting.Grant, conf map[string]string) error {
	img, err := m.rt.Image(ctx, grant.Image)
	if err != nil {
		return err
	}
	_, err = configurableEnv(img, grant.Policy, conf)
	return err
}

// create creates and runs a new container for grant.
func (m *Manager) create(ctx context.Context, user string, grant accounting.Grant, conf map[string]string, progress func(step, urlID string)) (routes.Route, error) {
	mappingID := grant.MappingID
	app, err := m.accounts.Application(ctx, grant.Image)
	if err != nil {
		return routes.Route{}, err
	}
	img, err := m.rt.Image(ctx, grant.Image)
	if err != nil {
		return routes.Route{}, err
	}
	progress(StepImage, "")
	env, err := configurableEnv(img, grant.Policy, conf)
	if err != nil {
		return routes.Route{}, err
	}
	owner, err := m.owner(ctx, user)
	if err != nil {
		return routes.Route{}, err
	}
	mounts, err := m.mounts(user, owner, grant.Policy)
	if err != nil {
		return routes.Route{}, err
	}

	urlID := randomHex(16)
	urlPath := protocol.URLPath(user, urlID)
	env[protocol.EnvJPYUser] = user
	env[protocol.EnvBaseURL] = protocol.BaseURL(user)
	env[protocol.EnvUser] = protocol.UnixUser(user)
	env[protocol.EnvURLID] = urlID
	if grant.Policy.AppLicense != "" {
		env[protocol.EnvAppLicense] = grant.Policy.AppLicense
	}
	key := randomHex(32)
	env[protocol.EnvSessionKey] = key
	spec := Spec{
		Name:  fmt.Sprintf("%s-%s-%s-%s", m.opts.Realm, protocol.Escape(user), protocol.Escape(mappingID), randomHex(3)),
		Image: grant.Image,
		Env:   env,
		Labels: map[string]string{
			protocol.LabelUser:         user,
			protocol.LabelMappingID:    mappingID,
			protocol.LabelURLID:        urlID,
			protocol.LabelURLPath:      strings.TrimSuffix(urlPath, "/"),
			protocol.LabelRealm:        m.opts.Realm,
			protocol.LabelInstallation: m.opts.Installation,
		},
		Mounts:          mounts,
		Limits:          mergeLimits(app.Limits, m.opts.Limits),
		NoNewPrivileges: m.opts.NoNewPrivileges,
		User:            owner.String(),
	}
	if app.RunAsRoot {
		spec.User = "" // the image's own user: an administrator allowed it
	}

	c, err := m.rt.Create(ctx, spec)
	if err != nil {
		return routes.Route{}, err
	}
	progress(StepCreated, urlID)
	r, err := m.run(ctx, c, urlPath, key, progress)
	if err != nil {
		m.cleanup(ctx, c.ID, user, mappingID, urlID)
		return routes.Route{}, err
	}
	r.URLID, r.User, r.MappingID, r.Image, r.URLPath = urlID, user, mappingID, grant.Image, urlPath
	m.routes.Put(r)
	progress(StepReady, urlID)
	return r, nil
}

// run starts a created container and waits until it answers HTTP.
func (m *Manager) run(ctx context.Context, c Container, urlPath, key string, progress func(step, urlID string)) (routes.Route, error) {
	urlID := c.Labels[protocol.LabelURLID]
	c, err := m.rt.Start(ctx, c.ID)
	if err != nil {
		return routes.Route{}, err
	}
	if !c.Running {
		return routes.Route{}, fmt.Errorf("%w (exit code %d) at once; its last output:\n%s", ErrContainerGone, c.ExitCode, c.Output)
	}
	if c.Address == "" {
		return routes.Route{}, fmt.Errorf("%w: container %s has no published port %d", ErrContainerGone, c.Name, protocol.ContainerPort)
	}
	progress(StepStarted, urlID)
	progress(StepWaiting, urlID)
	upstream := c.Address
	if err := m.waitReady(ctx, c.ID, "http://"+upstream+urlPath, key); err != nil {
		return routes.Route{}, err
	}
	return routes.Route{ContainerID: c.ID, ContainerName: c.Name, Upstream: upstream, Started: m.opts.Now(), SessionKey: key}, nil
}

// cleanup removes a container of a failed start, even when ctx is done.
func (m *Manager) cleanup(ctx context.Context, id, user, mappingID, urlID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := m.rt.Remove(ctx, id); err != nil {
		m.opts.Log.Error().Err(err).Str("container", id).Msg("removing the container of a failed start")
		return
	}
	m.publish(Event{Kind: EventProgress, User: user, MappingID: mappingID, URLID: urlID, Step: StepCleanedUp})
}

// running returns the grant's session when one runs: from the route
// table, or (after a restart, before reconciling) from a container of
// this installation, whose route it restores. Containers of the grant that
// do not run (left over by a crash) are removed on the way.
func (m *Manager) running(ctx context.Context, user, mappingID string, progress func(step, urlID string)) (routes.Route, bool, error) {
	for _, r := range m.List(user) {
		if r.MappingID == mappingID {
			return r, true, nil
		}
	}
	cs, err := m.rt.List(ctx)
	if err != nil {
		return routes.Route{}, false, err
	}
	for _, c := range cs {
		if c.Labels[protocol.LabelUser] != user || c.Labels[protocol.LabelMappingID] != mappingID || !m.ours(ctx, c) {
			continue
		}
		if m.keepReason(ctx, c) == "" {
			r, err := m.restore(ctx, c)
			return r, err == nil, err
		}
		urlID := c.Labels[protocol.LabelURLID]
		progress(StepLeftover, urlID)
		if err := m.rt.Remove(ctx, c.ID); err != nil {
			return routes.Route{}, false, err
		}
		m.opts.Log.Info().Str("container", c.Name).Str("user", user).Str("url_id", urlID).Msg("removed a container of the grant that no longer ran")
	}
	return routes.Route{}, false, nil
}

// probeDelay is the pause before the next try of waitReady, elapsed after
// the first: a tenth of the time the start has taken, from 10 ms to 1 s.
// A desktop answers within a few hundred milliseconds, and each pause is
// its users' wait; a start that takes long (many at once) is asked less
// often, about 50 times in its first 10 seconds.
func probeDelay(elapsed time.Duration) time.Duration {
	return min(max(elapsed/10, 10*time.Millisecond), time.Second)
}

// inspectEvery is how often waitReady asks the runtime whether the
// container still runs, between its tries.
const inspectEvery = 250 * time.Millisecond

// waitReady polls url until it answers 2xx or 3xx (see probeDelay); it
// gives up when the container stops or ctx ends.
func (m *Manager) waitReady(ctx context.Context, containerID, url, key string) error {
	start := time.Now()
	var last string
	var inspected time.Time
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		req.Header.Set(protocol.HeaderSessionKey, key)
		resp, err := m.http.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode < 400 {
				return nil
			}
			last = "HTTP " + resp.Status
		} else {
			last = err.Error()
		}
		if ctx.Err() == nil && time.Since(inspected) >= inspectEvery {
			inspected = time.Now()
			c, err := m.rt.Inspect(ctx, containerID)
			if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				return err
			}
			if err == nil && !c.Running {
				return fmt.Errorf("%w (exit code %d) before answering HTTP; its last output:\n%s", ErrContainerGone, c.ExitCode, c.Output)
			}
		}
		select {
		case <-ctx.Done():
			if context.Cause(ctx) == errStartTimeout {
				return fmt.Errorf("%w within %s; the last answer was: %s", ErrNotReady, human.Duration(m.opts.StartTimeout), last)
			}
			return ctx.Err()
		case <-time.After(probeDelay(time.Since(start))):
		}
	}
}

// mergeLimits fills the zero fields of app with the defaults.
func mergeLimits(app, def accounting.Limits) accounting.Limits {
	if app.Memory == 0 {
		app.Memory = def.Memory
	}
	if app.CPUs == 0 {
		app.CPUs = def.CPUs
	}
	if app.Pids == 0 {
		app.Pids = def.Pids
	}
	return app
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24).
	return hex.EncodeToString(b)
}

// StopUser stops every session of user (after the user was removed).
func (m *Manager) StopUser(ctx context.Context, user string) error {
	var errs []error
	for _, r := range m.List(user) {
		if err := m.stop(ctx, r, "administrator"); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// StopMapping stops every session started through a grant (after the grant
// was revoked).
func (m *Manager) StopMapping(ctx context.Context, mappingID string) error {
	var errs []error
	for _, r := range m.routes.List() {
		if r.MappingID == mappingID {
			if err := m.stop(ctx, r, "administrator"); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
