package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/distribution/reference"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/protocol"
)

// Docker is what Local does with the Docker Engine's images;
// *docker.Client is one.
type Docker interface {
	Ping(ctx context.Context) error
	Images(ctx context.Context) ([]docker.LocalImage, error)
	LoadImages(ctx context.Context, tarball io.Reader) ([]string, error)
	BuildImage(ctx context.Context, buildContext io.Reader, tag string) (string, error)
	Inspect(ctx context.Context, ref string) (string, map[string]string, error)
	RemoveImage(ctx context.Context, ref string) error
}

// dockerError is an error of the Docker Engine that matches the Service's
// sentinels too, as the same error through Client does: unreachable is
// ErrUnavailable, a refusal (docker.ErrBadInput) accounting.ErrInvalid, no
// such image accounting.ErrNotFound. Its message and chain stay, for
// problem.Of to classify.
type dockerError struct{ err error }

func (e *dockerError) Error() string { return e.err.Error() }
func (e *dockerError) Unwrap() error { return e.err }
func (e *dockerError) Is(target error) bool {
	switch target {
	case ErrUnavailable:
		return errors.Is(e.err, docker.ErrUnreachable)
	case accounting.ErrInvalid:
		return errors.Is(e.err, docker.ErrBadInput)
	case accounting.ErrNotFound:
		return errors.Is(e.err, docker.ErrNotFound)
	}
	return false
}

func dockerErr(err error) error {
	if err == nil {
		return nil
	}
	return &dockerError{err}
}

func (l *Local) docker() (Docker, error) {
	if l.opts.Docker == nil {
		return nil, fmt.Errorf("images: %w: no Docker Engine is configured", ErrUnavailable)
	}
	return l.opts.Docker, nil
}

// familiar is an image name as `docker images` shows it (lab/tool:latest
// for docker.io/lab/tool), or name itself when it is no reference.
func familiar(name string) string {
	n, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return name
	}
	return reference.FamiliarString(reference.TagNameOnly(n))
}

// Images implements Service.
func (l *Local) Images(ctx context.Context) ([]Image, error) {
	d, err := l.docker()
	if err != nil {
		return nil, err
	}
	list, err := d.Images(ctx)
	if err != nil {
		return nil, dockerErr(err)
	}
	apps, err := l.store.Applications(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	registered := map[string]bool{}
	for _, a := range apps {
		registered[familiar(a.Image)] = true
	}
	inUse := map[string]bool{}
	for _, r := range l.running() {
		inUse[familiar(r.Image)] = true
	}
	out := make([]Image, 0, len(list))
	for _, li := range list {
		img := Image{
			Name: li.Name, ID: li.ID, Size: li.Size, Created: li.Created.UTC(),
			HasProtocol: protocol.HasProtocol(li.Labels),
			Registered:  registered[familiar(li.Name)], InUse: inUse[familiar(li.Name)],
			Env: []DeclaredEnv{}, Configurables: []string{},
		}
		if p, err := protocol.ParseImage(li.Name, li.ID, li.Labels); err == nil {
			img.UIName, img.Type, img.Description, img.Icon128 = p.UIName, p.Type, p.Description, p.Icon128
			for _, e := range p.Env {
				img.Env = append(img.Env, DeclaredEnv{Name: e, Description: protocol.EnvDescription(e)})
			}
			img.Configurables = append(img.Configurables, p.Configurables()...)
		}
		out = append(out, img)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ImportImages implements Service.
func (l *Local) ImportImages(ctx context.Context, tarball io.Reader) (ImportResult, error) {
	d, err := l.docker()
	if err != nil {
		return ImportResult{}, err
	}
	names, err := d.LoadImages(ctx, tarball)
	l.record(ctx, audit.ImageImport, strings.Join(names, ", "), "", err)
	if err != nil {
		return ImportResult{}, dockerErr(err)
	}
	res := ImportResult{Images: []ImportedImage{}, Warnings: []string{}}
	for _, n := range names {
		id, labels, err := d.Inspect(ctx, n)
		if err != nil {
			return ImportResult{}, dockerErr(err)
		}
		has := protocol.HasProtocol(labels)
		if !has {
			res.Warnings = append(res.Warnings, n+" carries no simphony-remote labels: the portal will show it without a name, icon or type")
		}
		res.Images = append(res.Images, ImportedImage{Name: n, ID: id, HasProtocol: has})
	}
	sort.Slice(res.Images, func(i, j int) bool { return res.Images[i].Name < res.Images[j].Name })
	return res, nil
}

// BuildImage implements Service. A failed build's error ends with the end
// of its output.
func (l *Local) BuildImage(ctx context.Context, buildContext io.Reader, tag string) (_ BuildResult, err error) {
	defer func() { l.record(ctx, audit.ImageBuild, tag, "", err) }()
	if err := accounting.ValidateImage(tag); err != nil {
		return BuildResult{}, fmt.Errorf("building an image: %w", err)
	}
	d, err := l.docker()
	if err != nil {
		return BuildResult{}, err
	}
	log, err := d.BuildImage(ctx, buildContext, tag)
	if err != nil {
		if log != "" {
			return BuildResult{}, dockerErr(&buildError{err: err, log: log})
		}
		return BuildResult{}, dockerErr(err)
	}
	id, labels, err := d.Inspect(ctx, tag)
	if err != nil {
		return BuildResult{}, dockerErr(err)
	}
	return BuildResult{Name: tag, ID: id, HasProtocol: protocol.HasProtocol(labels), Log: log}, nil
}

// buildError is a failed build with the end of its output.
type buildError struct {
	err error
	log string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.log }
func (e *buildError) Unwrap() error { return e.err }

// RemoveImage implements Service.
func (l *Local) RemoveImage(ctx context.Context, ref string) (err error) {
	if strings.TrimSpace(ref) == "" {
		return errNoRef(ref)
	}
	defer func() { l.record(ctx, audit.ImageRemove, ref, "", err) }()
	d, err := l.docker()
	if err != nil {
		return err
	}
	list, err := d.Images(ctx)
	if err != nil {
		return fmt.Errorf("removing image %s: %w", ref, dockerErr(err))
	}
	// The names the removal takes away: ref itself, or every name of the
	// image whose id it is.
	names := map[string]bool{}
	for _, li := range list {
		id := strings.TrimPrefix(li.ID, "sha256:")
		if familiar(li.Name) == familiar(ref) || li.ID == ref || len(ref) >= 12 && strings.HasPrefix(id, strings.TrimPrefix(ref, "sha256:")) {
			names[familiar(li.Name)] = true
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("removing image %s: image %w", ref, accounting.ErrNotFound)
	}
	apps, err := l.store.Applications(ctx)
	if err != nil {
		return fmt.Errorf("removing image %s: %w", ref, err)
	}
	for _, a := range apps {
		if names[familiar(a.Image)] {
			return fmt.Errorf("removing image: %w", &accounting.InvalidError{What: "image", Value: ref,
				Rule: "the application " + a.Image + " is registered with it: remove the application first"})
		}
	}
	for _, r := range l.running() {
		if names[familiar(r.Image)] {
			return fmt.Errorf("removing image: %w", &accounting.InvalidError{What: "image", Value: ref,
				Rule: "the session " + r.URLID + " of " + r.User + " runs it: stop it first"})
		}
	}
	return dockerErr(d.RemoveImage(ctx, ref))
}

// errNoRef refuses an empty image reference, before anything happens.
func errNoRef(ref string) error {
	return fmt.Errorf("removing an image: %w", &accounting.InvalidError{What: "image reference", Value: ref, Rule: "it is empty"})
}

// starters is the one build of the starter images at a time.
type starters struct {
	state  StartersBuild
	cancel context.CancelFunc
	done   chan struct{}
}

// BuildStarters implements Service. The build outlives ctx; Close cancels
// it.
func (l *Local) BuildStarters(ctx context.Context) (err error) {
	const target = "starter images"
	defer func() {
		if err != nil {
			l.record(ctx, audit.ImageBuild, target, "in the background", err)
		}
	}()
	if l.opts.Starters == nil {
		return fmt.Errorf("building the starter images: %w: this appliance cannot build them", ErrUnavailable)
	}
	s := &l.starters
	l.startersMu.Lock()
	defer l.startersMu.Unlock()
	if l.closed {
		return fmt.Errorf("building the starter images: %w: the appliance is stopping", ErrUnavailable)
	}
	if s.state.Running {
		return fmt.Errorf("building the starter images: a build %w (since %s)", accounting.ErrExists, s.state.Started.UTC().Format(time.RFC3339))
	}
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.state = StartersBuild{Running: true, Started: l.opts.Now().UTC(), Log: []string{}}
	s.cancel, s.done = cancel, make(chan struct{})
	l.record(ctx, audit.ImageBuild, target, "started in the background", nil)
	done := s.done
	go func() {
		defer close(done)
		defer cancel()
		w := &lineLog{add: l.startersLine}
		err := l.opts.Starters(bctx, w)
		w.flush()
		l.record(bctx, audit.ImageBuild, target, "finished", err)
		l.startersMu.Lock()
		s.state.Running = false
		s.state.Finished = l.opts.Now().UTC()
		if err != nil {
			s.state.Err = err.Error()
		}
		l.startersMu.Unlock()
	}()
	return nil
}

func (l *Local) startersLine(line string) {
	l.startersMu.Lock()
	defer l.startersMu.Unlock()
	log := append(l.starters.state.Log, line)
	if len(log) > StartersLogLines {
		log = append([]string{}, log[len(log)-StartersLogLines:]...)
	}
	l.starters.state.Log = log
}

// Starters implements Service.
func (l *Local) Starters(context.Context) (StartersBuild, error) {
	l.startersMu.Lock()
	defer l.startersMu.Unlock()
	st := l.starters.state
	st.Log = append([]string{}, st.Log...)
	return st, nil
}

// Close cancels a build of the starter images and waits for it to end.
// Local refuses to start another one afterwards.
func (l *Local) Close() {
	l.startersMu.Lock()
	l.closed = true
	cancel, done := l.starters.cancel, l.starters.done
	l.startersMu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// lineLog hands each line written to it to add.
type lineLog struct {
	add  func(string)
	part []byte
}

func (w *lineLog) Write(p []byte) (int, error) {
	w.part = append(w.part, p...)
	for {
		i := strings.IndexAny(string(w.part), "\r\n")
		if i < 0 {
			break
		}
		if line := strings.TrimSpace(string(w.part[:i])); line != "" {
			w.add(line)
		}
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

func (w *lineLog) flush() {
	if line := strings.TrimSpace(string(w.part)); line != "" {
		w.add(line)
	}
	w.part = nil
}
