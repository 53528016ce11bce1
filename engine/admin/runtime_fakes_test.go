package admin_test

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/history"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/shares"
)

// fakeRunning is a session manager's table of running sessions.
type fakeRunning struct {
	t       *routes.Table
	stopped []string
}

func (f *fakeRunning) Routes() *routes.Table { return f.t }

func (f *fakeRunning) StopAny(_ context.Context, urlID, by string) error {
	if _, ok := f.t.Delete(urlID); !ok {
		return fmt.Errorf("stopping session %s: %w", urlID, session.ErrNotFound)
	}
	f.stopped = append(f.stopped, urlID+" by "+by)
	return nil
}

// fakeShares has fixed shares.
type fakeShares map[string][]shares.Share

func (f fakeShares) List(urlID string) []shares.Share { return f[urlID] }

// fakeHistory has a fixed snapshot.
type fakeHistory history.Snapshot

func (f fakeHistory) Snapshot() history.Snapshot { return history.Snapshot(f) }

// fakeDocker is a Docker Engine's images. A tarball to load lists the
// names of its images, one a line, "name labelled" for one with labels;
// "garbage" is refused. A build context "fail" fails.
type fakeDocker struct {
	mu     sync.Mutex
	images map[string]docker.LocalImage
	ping   error
	n      int
}

var created = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// icon is a labelled image's icon: a 1×1 PNG in base64.
const icon = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg=="

func newFakeDocker(images ...docker.LocalImage) *fakeDocker {
	f := &fakeDocker{images: map[string]docker.LocalImage{}}
	for _, i := range images {
		f.images[i.Name] = i
	}
	return f
}

func (f *fakeDocker) Ping(context.Context) error { return f.ping }

func (f *fakeDocker) Images(context.Context) ([]docker.LocalImage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ping != nil {
		return nil, fmt.Errorf("listing images: %w", f.ping)
	}
	var out []docker.LocalImage
	for _, i := range f.images {
		out = append(out, i)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (f *fakeDocker) add(name string, labelled bool) {
	f.n++
	img := docker.LocalImage{Name: name, ID: fmt.Sprintf("sha256:%064d", f.n), Size: int64(1000 * f.n), Created: created}
	if labelled {
		img.Labels = map[string]string{"eu.simphony-project.docker.ui_name": "Tool " + name, "eu.simphony-project.docker.type": "webapp",
			"eu.simphony-project.docker.icon_128": icon, "eu.simphony-project.docker.env.startupdata": "",
			"eu.simphony-project.docker.env.tool-mode": ""}
	}
	f.images[name] = img
}

func (f *fakeDocker) LoadImages(_ context.Context, tarball io.Reader) ([]string, error) {
	b, err := io.ReadAll(tarball)
	if err != nil {
		return nil, fmt.Errorf("loading images: %w: %w", docker.ErrBadInput, err)
	}
	if strings.TrimSpace(string(b)) == "garbage" {
		return nil, fmt.Errorf("loading images: %w: unexpected EOF", docker.ErrBadInput)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		name, labelled := strings.CutSuffix(line, " labelled")
		f.add(name, labelled)
		names = append(names, name)
	}
	return names, nil
}

func (f *fakeDocker) BuildImage(_ context.Context, buildContext io.Reader, tag string) (string, error) {
	b, err := io.ReadAll(buildContext)
	if err != nil {
		return "", err
	}
	if string(b) == "fail" {
		return "Step 1/1 : RUN false\n", fmt.Errorf("building %s: %w: the command returned 1", tag, docker.ErrBadInput)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.add(tag, true)
	return "Successfully built\n", nil
}

func (f *fakeDocker) Inspect(_ context.Context, ref string) (string, map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.images[ref]
	if !ok {
		return "", nil, fmt.Errorf("inspecting image %s: %w", ref, docker.ErrNotFound)
	}
	return i.ID, i.Labels, nil
}

func (f *fakeDocker) RemoveImage(_ context.Context, ref string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.images[ref]; !ok {
		return fmt.Errorf("removing image %s: %w", ref, docker.ErrNotFound)
	}
	delete(f.images, ref)
	return nil
}

// fakeStarters is a build of the starter images that writes two lines of
// progress and ends when it is released, with err.
type fakeStarters struct {
	release chan struct{}
	err     error
	runs    int
}

func (f *fakeStarters) build(ctx context.Context, progress io.Writer) error {
	f.runs++
	fmt.Fprintf(progress, "files: building\ndesktop: debootstrap")
	select {
	case <-f.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	fmt.Fprintf(progress, " done\n")
	return f.err
}
