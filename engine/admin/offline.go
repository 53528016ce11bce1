package admin

import (
	"context"
	"io"
	"sync"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/shares"
	"github.com/simphony/simphony-remote/engine/volumes"
)

// NewOffline returns the Service on an accounting database that no
// appliance holds (`simphony-remote db` while the appliance is stopped),
// configured by cfg: it checks images and volumes as the appliance would,
// and, on a bbolt database, audits its changes and signs users out by
// deleting their stored logins, API tokens and shares, which the appliance
// would load again at its next start. Nothing runs: there are no sessions
// to list or stop. Close releases the Docker connection it may have made,
// not the store.
func NewOffline(store accounting.Store, cfg *config.Config) *Offline {
	d := &lazyDocker{cfg: cfg.Docker}
	backend := "bbolt"
	if _, ok := store.(*boltdb.Store); !ok {
		backend = "csv"
	}
	opts := Options{
		Images: d, Docker: d, Volumes: volumes.FromConfig(cfg),
		Realm: cfg.Realm, Backend: backend,
	}
	if bs, ok := store.(*boltdb.Store); ok {
		opts.Revoker = &storedLogins{store: bs, auth: cfg.Auth}
		opts.Audit = bs
		opts.Log = audit.NewLog(bs, zerolog.Nop())
	}
	return &Offline{Local: NewLocal(store, opts), docker: d}
}

// Offline is the Service of NewOffline.
type Offline struct {
	*Local
	docker *lazyDocker
}

// Close implements io.Closer.
func (o *Offline) Close() error {
	o.Local.Close()
	return o.docker.close()
}

// lazyDocker is the configured Docker Engine, connected on first use only:
// most commands never need it.
type lazyDocker struct {
	cfg  config.Docker
	once sync.Once
	c    *docker.Client
	err  error
}

func (d *lazyDocker) client() (*docker.Client, error) {
	d.once.Do(func() { d.c, d.err = docker.New(d.cfg) })
	return d.c, d.err
}

func (d *lazyDocker) close() error {
	if d.c != nil {
		return d.c.Close()
	}
	return nil
}

// Host names the engine in messages, once connected.
func (d *lazyDocker) Host() string {
	if d.c == nil {
		return ""
	}
	return d.c.Host()
}

func (d *lazyDocker) ImageExists(ctx context.Context, image string) error {
	c, err := d.client()
	if err != nil {
		return err
	}
	return c.ImageExists(ctx, image)
}

func (d *lazyDocker) Ping(ctx context.Context) error {
	c, err := d.client()
	if err != nil {
		return err
	}
	return c.Ping(ctx)
}

func (d *lazyDocker) Images(ctx context.Context) ([]docker.LocalImage, error) {
	c, err := d.client()
	if err != nil {
		return nil, err
	}
	return c.Images(ctx)
}

func (d *lazyDocker) LoadImages(ctx context.Context, tarball io.Reader) ([]string, error) {
	c, err := d.client()
	if err != nil {
		return nil, err
	}
	return c.LoadImages(ctx, tarball)
}

func (d *lazyDocker) BuildImage(ctx context.Context, buildContext io.Reader, tag string) (string, error) {
	c, err := d.client()
	if err != nil {
		return "", err
	}
	return c.BuildImage(ctx, buildContext, tag)
}

func (d *lazyDocker) Inspect(ctx context.Context, ref string) (string, map[string]string, error) {
	c, err := d.client()
	if err != nil {
		return "", nil, err
	}
	return c.Inspect(ctx, ref)
}

func (d *lazyDocker) RemoveImage(ctx context.Context, ref string) error {
	c, err := d.client()
	if err != nil {
		return err
	}
	return c.RemoveImage(ctx, ref)
}

// storedLogins signs users out of a database file: it deletes their login
// sessions, API tokens and shares with them.
type storedLogins struct {
	store *boltdb.Store
	auth  config.Auth
}

func (s *storedLogins) RevokeUser(ctx context.Context, user string) (int, error) {
	l, err := auth.NewLogins(ctx, s.store, s.auth.SessionIdle.D(), s.auth.SessionMax.D(), nil)
	if err != nil {
		return 0, err
	}
	n, err := l.RevokeUser(ctx, user)
	if err != nil {
		return n, err
	}
	t, err := auth.NewTokens(ctx, s.store, nil)
	if err != nil {
		return n, err
	}
	m, err := t.RevokeUser(ctx, user)
	if err != nil {
		return n + m, err
	}
	sh, err := shares.New(ctx, s.store, nil, nil)
	if err != nil {
		return n + m, err
	}
	return n + m, sh.DropUser(ctx, user)
}

var (
	_ ImageChecker = (*lazyDocker)(nil)
	_ Docker       = (*lazyDocker)(nil)
	_ Revoker      = (*storedLogins)(nil)
)
