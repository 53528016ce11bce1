package admin_test

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sync"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/docker"
)

// fakeVolumes lets /data and /srv/data be mounted, without looking at the
// host (local_volumes_test.go checks the real rules).
type fakeVolumes struct{}

func (fakeVolumes) Check(v accounting.Volume) error {
	switch path.Clean(v.Source) {
	case "", ".", "/data", "/srv/data":
		return nil
	}
	return &accounting.InvalidError{What: "volume", Value: v.String(), Rule: "not allowed by the fake"}
}

// fakeImages is an ImageChecker with a fixed set of images, or a fixed
// error; it records what it was asked.
type fakeImages struct {
	mu    sync.Mutex
	have  map[string]bool
	err   error // returned for every image when set
	host  string
	asked []string
}

func newFakeImages(images ...string) *fakeImages {
	f := &fakeImages{have: map[string]bool{}, host: "unix:///fake/docker.sock"}
	for _, i := range images {
		f.have[i] = true
	}
	return f
}

func (f *fakeImages) ImageExists(_ context.Context, image string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, image)
	switch {
	case f.err != nil:
		return f.err
	case f.have[image]:
		return nil
	}
	return fmt.Errorf("looking up image %s: %w: no such image", image, docker.ErrNotFound)
}

func (f *fakeImages) Host() string { return f.host }

func (f *fakeImages) questions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asked...)
}

// hooks records the Revoker and SessionStopper calls, and fails them with
// err when set.
type hooks struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (h *hooks) record(call string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, call)
	return h.err
}

func (h *hooks) RevokeUser(_ context.Context, user string) (int, error) {
	return 1, h.record("sign out " + user)
}

func (h *hooks) StopUser(_ context.Context, user string) error {
	return h.record("stop user " + user)
}

func (h *hooks) StopMapping(_ context.Context, id string) error {
	return h.record("stop mapping " + id)
}

// take returns the calls so far and forgets them.
func (h *hooks) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.calls
	h.calls = nil
	return c
}

// newStore returns a fresh bbolt store in a temporary directory.
func newStore(t *testing.T) *boltdb.Store {
	t.Helper()
	s, err := boltdb.Init(filepath.Join(t.TempDir(), "accounting.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newLocal returns a Local on a fresh store with fake images and hooks.
func newLocal(t *testing.T, images ...string) (*admin.Local, *boltdb.Store, *fakeImages, *hooks) {
	t.Helper()
	s := newStore(t)
	fi, h := newFakeImages(images...), &hooks{}
	return admin.NewLocal(s, admin.Options{Images: fi, Revoker: h, Sessions: h, Volumes: fakeVolumes{}}), s, fi, h
}

// shortDir is a temporary directory with a path short enough for a unix
// socket (at most 108 bytes), which t.TempDir does not promise.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sra")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
