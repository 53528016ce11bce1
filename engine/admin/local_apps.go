package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/docker"
)

// ImageChecker says whether the Docker Engine has an image: nil when it
// has, an error matching docker.ErrNotFound when it has not, and one
// matching docker.ErrUnreachable when the engine does not answer.
// *docker.Client is one. When it also has a Host() string method, messages
// name the engine.
type ImageChecker interface {
	ImageExists(ctx context.Context, image string) error
}

// verifyError is a failed image check: its message is meant for people
// (it names --no-verify), and it matches both kind (accounting.ErrInvalid
// or ErrUnavailable) and the underlying error.
type verifyError struct {
	msg  string
	kind error
	err  error
}

func (e *verifyError) Error() string        { return e.msg }
func (e *verifyError) Is(target error) bool { return target == e.kind }
func (e *verifyError) Unwrap() error        { return e.err }

// verify asks the Docker Engine whether it has image.
func (l *Local) verify(ctx context.Context, image string) error {
	c := l.opts.Images
	if c == nil {
		return &verifyError{kind: ErrUnavailable,
			msg: fmt.Sprintf("cannot check image %s: no Docker Engine is configured; or skip the check with --no-verify", image)}
	}
	err := c.ImageExists(ctx, image)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, docker.ErrNotFound):
		engine := "the Docker Engine"
		if h, ok := c.(interface{ Host() string }); ok && h.Host() != "" {
			engine += " at " + h.Host()
		}
		return &verifyError{kind: accounting.ErrInvalid, err: err,
			msg: fmt.Sprintf("%s has no image %s: build or load it first, or skip the check with --no-verify", engine, image)}
	case errors.Is(err, docker.ErrUnreachable):
		return &verifyError{kind: ErrUnavailable, err: err,
			msg: fmt.Sprintf("cannot check image %s: %v; start Docker (or fix the [docker] settings), or skip the check with --no-verify", image, err)}
	}
	return &verifyError{kind: ErrUnavailable, err: err,
		msg: fmt.Sprintf("cannot check image %s: %v; or skip the check with --no-verify", image, err)}
}

// Applications implements Service.
func (l *Local) Applications(ctx context.Context) ([]accounting.Application, error) {
	apps, err := l.store.Applications(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing applications: %w", err)
	}
	return nonNil(apps), nil
}

// Application implements Service.
func (l *Local) Application(ctx context.Context, image string) (accounting.Application, error) {
	return l.store.Application(ctx, image)
}

// CreateApplication implements Service. An application that exists already
// needs no image check, so that is answered first.
func (l *Local) CreateApplication(ctx context.Context, na NewApplication) (_ accounting.Application, err error) {
	defer func() { l.record(ctx, audit.ApplicationCreate, na.Image, newApplicationDetail(na), err) }()
	if err := accounting.ValidateImage(na.Image); err != nil {
		return accounting.Application{}, fmt.Errorf("creating application: %w", err)
	}
	if err := na.Limits.Validate(); err != nil {
		return accounting.Application{}, fmt.Errorf("creating application %s: %w", na.Image, err)
	}
	a := accounting.Application{Image: na.Image, Limits: na.Limits, RunAsRoot: na.RunAsRoot}
	if na.Verify {
		existing, err := l.store.Application(ctx, na.Image)
		switch {
		case err == nil && existing.Image != na.Image:
			return accounting.Application{}, fmt.Errorf("creating application %s: application %w as %s", na.Image, accounting.ErrExists, existing.Image)
		case err == nil:
			return accounting.Application{}, fmt.Errorf("creating application %s: application %w", na.Image, accounting.ErrExists)
		case !errors.Is(err, accounting.ErrNotFound):
			return accounting.Application{}, fmt.Errorf("creating application %s: %w", na.Image, err)
		}
		if err := l.verify(ctx, na.Image); err != nil {
			return accounting.Application{}, err
		}
	}
	if err := l.store.CreateApplication(ctx, a); err != nil {
		return accounting.Application{}, err
	}
	return a, nil
}

// RemoveApplication implements Service.
func (l *Local) RemoveApplication(ctx context.Context, image string) (err error) {
	defer func() { l.record(ctx, audit.ApplicationRemove, image, "", err) }()
	var ids []string
	if l.opts.Sessions != nil {
		var err error
		if ids, err = l.mappingsOf(ctx, image); err != nil {
			return fmt.Errorf("removing application %s: %w", image, err)
		}
	}
	if err := l.store.RemoveApplication(ctx, image); err != nil {
		return err
	}
	return followUp("removed application "+image, l.stopMappings(ctx, ids))
}

// mappingsOf lists the mapping ids of every grant of image, under any
// spelling.
func (l *Local) mappingsOf(ctx context.Context, image string) ([]string, error) {
	app, err := l.store.Application(ctx, image)
	switch {
	case errors.Is(err, accounting.ErrNotFound):
		return nil, nil // the removal itself reports it
	case err != nil:
		return nil, err
	}
	image = app.Image // the spelling grants are stored with
	users, err := l.Users(ctx, true)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, u := range users {
		for _, g := range u.Grants {
			if g.Image == image {
				ids = append(ids, g.MappingID)
			}
		}
	}
	return ids, nil
}

// SetLimits implements Service: the limits c does not name keep their
// values.
func (l *Local) SetLimits(ctx context.Context, image string, c LimitsChange) (app accounting.Application, err error) {
	defer func() {
		detail := limitsChangeDetail(c)
		if err == nil {
			detail = app.Limits.String()
		}
		l.record(ctx, audit.ApplicationLimits, image, detail, err)
	}()
	// The values themselves are checked before the application is looked up.
	if err := c.Apply(accounting.Limits{}).Validate(); err != nil {
		return accounting.Application{}, fmt.Errorf("setting the limits of %s: %w", image, err)
	}
	l.limitsMu.Lock()
	defer l.limitsMu.Unlock()
	app, err = l.store.Application(ctx, image)
	if err != nil {
		return accounting.Application{}, fmt.Errorf("setting the limits of %s: %w", image, err)
	}
	if c.IsZero() {
		return app, nil
	}
	if err := l.store.SetLimits(ctx, app.Image, c.Apply(app.Limits)); err != nil {
		return accounting.Application{}, err
	}
	return l.store.Application(ctx, app.Image)
}

// SetRunAsRoot implements Service.
func (l *Local) SetRunAsRoot(ctx context.Context, image string, root bool) (app accounting.Application, err error) {
	defer func() { l.record(ctx, audit.ApplicationRoot, image, fmt.Sprintf("run_as_root=%t", root), err) }()
	app, err = l.store.Application(ctx, image)
	if err != nil {
		return accounting.Application{}, fmt.Errorf("setting the run-as-root mark of %s: %w", image, err)
	}
	if err := l.store.SetRunAsRoot(ctx, app.Image, root); err != nil {
		return accounting.Application{}, err
	}
	return l.store.Application(ctx, app.Image)
}

// limitsChangeDetail describes a change of limits for the audit log: the
// limits it names, as accounting.Limits.String shows them.
func limitsChangeDetail(c LimitsChange) string {
	all := strings.Split(c.Apply(accounting.Limits{}).String(), ", ") // memory, cpus, pids
	var parts []string
	for i, named := range []bool{c.Memory != nil, c.CPUs != nil, c.Pids != nil} {
		if named {
			parts = append(parts, all[i])
		}
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, ", ")
}

// snapshotter is a store that can copy itself consistently:
// *boltdb.Store.
type snapshotter interface {
	WriteSnapshot(ctx context.Context, w io.Writer) (int64, error)
}

// Backup implements Service.
func (l *Local) Backup(ctx context.Context, w io.Writer) (err error) {
	var n int64
	defer func() {
		detail := ""
		if err == nil {
			detail = fmt.Sprintf("%d bytes", n)
		}
		l.record(ctx, audit.Backup, "database", detail, err)
	}()
	s, ok := l.store.(snapshotter)
	if !ok {
		return fmt.Errorf("copying the database: %w: the accounting data is not a bbolt database (a CSV file?); copy the file itself to back it up", accounting.ErrReadOnly)
	}
	if n, err = s.WriteSnapshot(ctx, w); err != nil {
		return fmt.Errorf("copying the database: %w", err)
	}
	return nil
}
