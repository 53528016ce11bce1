package admin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/history"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/shares"
	"github.com/simphony/simphony-remote/engine/version"
)

// Running are the running sessions; *session.Manager is one.
type Running interface {
	// Routes is the table of the running sessions.
	Routes() *routes.Table
	// StopAny stops any session; by names who did it.
	StopAny(ctx context.Context, urlID, by string) error
}

// ShareLister lists the shares of a session; *shares.Shares is one.
type ShareLister interface {
	List(urlID string) []shares.Share
}

// History is the last 24 hours of sessions; *history.History is one.
type History interface {
	Snapshot() history.Snapshot
}

func (l *Local) running() []routes.Route {
	if l.opts.Running == nil {
		return nil
	}
	list := l.opts.Running.Routes().List()
	sort.SliceStable(list, func(i, j int) bool {
		if !list[i].Started.Equal(list[j].Started) {
			return list[i].Started.Before(list[j].Started)
		}
		return list[i].URLID < list[j].URLID
	})
	return list
}

// Sessions implements Service.
func (l *Local) Sessions(ctx context.Context) ([]Session, error) {
	list := l.running()
	out := make([]Session, 0, len(list))
	for _, r := range list {
		s := Session{
			URLID: r.URLID, MappingID: r.MappingID, User: r.User, Image: r.Image, URLPath: r.URLPath,
			Started: r.Started.UTC(), LastActive: r.LastActive().UTC(), Viewers: []Viewer{},
		}
		if l.opts.Shares != nil {
			for _, sh := range l.opts.Shares.List(r.URLID) {
				v := Viewer{User: sh.User, Mode: string(sh.Mode)}
				if sh.Expires != nil {
					e := sh.Expires.UTC()
					v.Expires = &e
				}
				s.Viewers = append(s.Viewers, v)
			}
			sort.Slice(s.Viewers, func(i, j int) bool { return s.Viewers[i].User < s.Viewers[j].User })
		}
		out = append(out, s)
	}
	return out, nil
}

// UserShares implements Service.
func (l *Local) UserShares(ctx context.Context, name string) ([]Share, error) {
	if _, err := l.store.User(ctx, name); err != nil {
		if errors.Is(err, accounting.ErrNotFound) {
			return nil, fmt.Errorf("listing the shares of %s: user %w", name, accounting.ErrNotFound)
		}
		return nil, fmt.Errorf("listing the shares of %s: %w", name, err)
	}
	out := []Share{}
	if l.opts.Shares == nil {
		return out, nil
	}
	for _, r := range l.running() {
		for _, sh := range l.opts.Shares.List(r.URLID) {
			if r.User != name && sh.User != name {
				continue
			}
			s := Share{URLID: r.URLID, Owner: r.User, Image: r.Image, User: sh.User, Mode: string(sh.Mode)}
			if sh.Expires != nil {
				e := sh.Expires.UTC()
				s.Expires = &e
			}
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].URLID != out[j].URLID {
			return out[i].URLID < out[j].URLID
		}
		return out[i].User < out[j].User
	})
	return out, nil
}

// StopSession implements Service.
func (l *Local) StopSession(ctx context.Context, urlID string) error {
	if l.opts.Running == nil {
		return fmt.Errorf("stopping session %s: %w", urlID, accounting.ErrNotFound)
	}
	by := "administrator"
	if a, ok := audit.ActorFrom(ctx); ok && a.Name != "" {
		by = a.Name
	}
	err := l.opts.Running.StopAny(ctx, urlID, by)
	if errors.Is(err, session.ErrNotFound) {
		return fmt.Errorf("stopping session %s: %w", urlID, accounting.ErrNotFound)
	}
	l.record(ctx, audit.SessionStop, urlID, "by an administrator", err)
	return err
}

// Stats implements Service.
func (l *Local) Stats(ctx context.Context) (Stats, error) {
	users, err := l.store.Users(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("counting users: %w", err)
	}
	apps, err := l.store.Applications(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("counting applications: %w", err)
	}
	running := l.running()
	st := Stats{
		Realm: l.opts.Realm, Users: len(users), Applications: len(apps), RunningSessions: len(running),
		PerApplication: map[string]int{}, Docker: l.dockerState(ctx),
		Running: []Sample{}, StartTimes: []StartTimes{},
	}
	active := map[string]bool{}
	for _, r := range running {
		active[r.User] = true
		st.PerApplication[r.Image]++
	}
	st.ActiveUsers = len(active)
	if l.opts.SignedIn != nil {
		st.SignedInUsers = l.opts.SignedIn()
	}
	st.DataBytes, st.HomesBytes = l.disk.get(ctx, l.opts.Now(), l.opts.DataDir, l.opts.HomesDir)
	if l.opts.History != nil {
		h := l.opts.History.Snapshot()
		st.Starts24h, st.Failures24h = h.Starts, h.Failures
		for _, s := range h.Running {
			st.Running = append(st.Running, Sample{Time: s.Time.UTC(), Count: s.Count})
		}
		for _, hr := range h.Hours {
			st.StartTimes = append(st.StartTimes, StartTimes{Hour: hr.Hour.UTC(), Starts: hr.Starts, P50: hr.P50, P95: hr.P95})
		}
	}
	return st, nil
}

// dockerTimeout bounds Stats' question to the Docker Engine.
const dockerTimeout = 3 * time.Second

func (l *Local) dockerState(ctx context.Context) string {
	if l.opts.Docker == nil {
		return "no Docker Engine is configured"
	}
	ctx, cancel := context.WithTimeout(ctx, dockerTimeout)
	defer cancel()
	if err := l.opts.Docker.Ping(ctx); err != nil {
		return err.Error()
	}
	return "ok"
}

// build is this program's version, read once: Info is asked for on every
// admin page.
var build = sync.OnceValue(version.Get)

// Info implements Service.
func (l *Local) Info(context.Context) (Info, error) {
	backend := l.opts.Backend
	if backend == "" {
		backend = "bbolt"
	}
	w := append([]string{}, l.opts.Warnings...)
	v := build()
	p := l.opts.Process
	i := Info{Realm: l.opts.Realm, Backend: backend, ReadOnly: backend == "csv", Warnings: w,
		Version: v.Version, Commit: v.Commit, URL: p.URL, PID: p.PID}
	if !p.Started.IsZero() {
		i.Started = p.Started.UTC()
	}
	if p.CAFingerprint != nil {
		i.CAFingerprint = p.CAFingerprint()
	}
	return i, nil
}

// diskTTL is how long a measured disk use is shown before it is measured
// again: walking the homes is not cheap.
const diskTTL = time.Minute

// diskTimeout bounds one measure; what takes longer is unknown (-1).
const diskTimeout = 5 * time.Second

// diskCache remembers the last disk use measured.
type diskCache struct {
	mu          sync.Mutex
	at          time.Time
	data, homes int64
}

func (c *diskCache) get(ctx context.Context, now time.Time, data, homes string) (int64, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && now.Sub(c.at) < diskTTL {
		return c.data, c.homes
	}
	wctx, cancel := context.WithTimeout(ctx, diskTimeout)
	defer cancel()
	d, h := diskUse(wctx, data), diskUse(wctx, homes)
	if ctx.Err() != nil {
		// The caller went away mid-walk: what it measured says nothing
		// to the next ones.
		return d, h
	}
	c.data, c.homes, c.at = d, h, now
	return d, h
}

// diskUse is the size of the files under dir, -1 when it cannot be
// measured (in time). dir itself may be a symbolic link (a data directory
// on another disk); the links under it are not followed.
func diskUse(ctx context.Context, dir string) int64 {
	if dir == "" {
		return -1
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return nil // removed meanwhile
			}
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		return -1
	}
	return n
}
