package admin_test

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/problem"
)

// buildContext is a tarball holding files.
func buildContext(t *testing.T, files map[string]string) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func findImage(list []admin.Image, name string) (admin.Image, bool) {
	for _, i := range list {
		if i.Name == name {
			return i, true
		}
	}
	return admin.Image{}, false
}

// TestImagesOnDocker builds, lists, saves, removes, imports and removes
// again a tiny image of its own on the real Docker Engine, through a
// Client of the real admin API on a Local.
func TestImagesOnDocker(t *testing.T) {
	c := dockertest.Require(t)
	ctx := t.Context()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	tag := "simphony-remote-test/admin-images-" + hex.EncodeToString(b) + ":1"
	t.Cleanup(func() {
		// Only this test's image, whatever became of it.
		_, _ = c.API().ImageRemove(t.Context(), tag, image.RemoveOptions{Force: true, PruneChildren: true})
	})
	s := newStore(t)
	local := admin.NewLocal(s, admin.Options{Docker: c, Images: c})
	svc := serveAdmin(t, local)

	// Build it.
	res, err := svc.BuildImage(ctx, buildContext(t, map[string]string{
		"Dockerfile": "FROM scratch\nLABEL eu.simphony-project.docker.ui_name=\"Admin test\" eu.simphony-project.docker.type=webapp\nCOPY hello /hello\n",
		"hello":      "hello\n",
	}), tag)
	if err != nil {
		t.Fatalf("BuildImage: %v", err)
	}
	if res.Name != tag || !strings.HasPrefix(res.ID, "sha256:") || !res.HasProtocol {
		t.Errorf("BuildImage = %+v", res)
	}

	// List it.
	list, err := svc.Images(ctx)
	if err != nil {
		t.Fatal(err)
	}
	img, ok := findImage(list, tag)
	if !ok || img.ID != res.ID || !img.HasProtocol || img.UIName != "Admin test" || img.Type != "webapp" || img.Created.IsZero() || img.Registered || img.InUse {
		t.Fatalf("Images: %s = %+v (listed %v)", tag, img, ok)
	}

	// Save it, remove it, import it again.
	rc, err := c.API().ImageSave(ctx, []string{tag})
	if err != nil {
		t.Fatal(err)
	}
	saved, err := io.ReadAll(rc)
	_ = rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RemoveImage(ctx, tag); err != nil {
		t.Fatalf("RemoveImage: %v", err)
	}
	if err := c.ImageExists(ctx, tag); !errors.Is(err, docker.ErrNotFound) {
		t.Fatalf("after RemoveImage, ImageExists = %v", err)
	}
	imp, err := svc.ImportImages(ctx, bytes.NewReader(saved))
	if err != nil {
		t.Fatalf("ImportImages: %v", err)
	}
	if len(imp.Images) != 1 || imp.Images[0].Name != tag || imp.Images[0].ID != res.ID || !imp.Images[0].HasProtocol || len(imp.Warnings) != 0 {
		t.Errorf("ImportImages = %+v", imp)
	}

	// Docker refuses what is no image tarball: a 400 with Docker's word.
	_, err = svc.ImportImages(ctx, strings.NewReader("no tarball at all"))
	if p := problem.Of(err); !errors.Is(err, accounting.ErrInvalid) || p.Status != 400 || !strings.Contains(err.Error(), "loading images: refused by Docker") {
		t.Errorf("importing garbage = %v (%d)", err, p.Status)
	}

	// Registered, it stays.
	if _, err := svc.CreateApplication(ctx, admin.NewApplication{Image: tag, Verify: true}); err != nil {
		t.Fatal(err)
	}
	if err := svc.RemoveImage(ctx, tag); !errors.Is(err, accounting.ErrInvalid) || !strings.Contains(err.Error(), "remove the application first") {
		t.Errorf("removing a registered image = %v", err)
	}
	if list, err = svc.Images(ctx); err != nil {
		t.Fatal(err)
	}
	if img, ok := findImage(list, tag); !ok || !img.Registered {
		t.Errorf("the registered image: %+v (listed %v)", img, ok)
	}
	if err := svc.RemoveApplication(ctx, tag); err != nil {
		t.Fatal(err)
	}
	if err := svc.RemoveImage(ctx, tag); err != nil {
		t.Fatalf("RemoveImage: %v", err)
	}
	if err := svc.RemoveImage(ctx, tag); !errors.Is(err, accounting.ErrNotFound) {
		t.Errorf("removing it again = %v, want not found", err)
	}
}

// An upload cut at its limit is the uploader's fault, 413, even though the
// Docker Engine sees it as a broken request.
func TestImportOverTheLimitOnDocker(t *testing.T) {
	c := dockertest.Require(t)
	l := admin.NewLocal(newStore(t), admin.Options{Docker: c})
	got := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := l.ImportImages(r.Context(), http.MaxBytesReader(w, r.Body, 1024))
		got <- err
	}))
	defer srv.Close()
	resp, err := http.Post(srv.URL, "application/x-tar", bytes.NewReader(make([]byte, 1<<20)))
	if err == nil {
		resp.Body.Close()
	}
	err = <-got
	if p := problem.Of(err); p.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("importing an upload over the limit = %v, classified %d %s; want 413", err, p.Status, p.Type)
	}
}
