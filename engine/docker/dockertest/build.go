package dockertest

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"

	"github.com/simphony/simphony-remote/engine/docker"
)

// moduleRoot is the directory of the module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module root: %w", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// goBuild builds the module's package pkg (e.g. "./testdata/testapp")
// statically and returns the binary.
func goBuild(pkg string) ([]byte, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "gobuild")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bin")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building %s: %v\n%s", pkg, err, out)
	}
	return os.ReadFile(bin)
}

// BuildImage builds the recipe in dir (relative to the module root, e.g.
// "testdata/legacyvnc") with the Go packages in binaries (context file name
// → package) built into its context, and the build args, without cache,
// under a tag of its own: simphony-remote-test/NAME-RANDOM:latest. The image
// and its containers are removed when the test ends.
func BuildImage(tb testing.TB, c *docker.Client, name, dir string, binaries, args map[string]string) string {
	tb.Helper()
	root, err := moduleRoot()
	if err != nil {
		tb.Fatal(err)
	}
	var ctxTar bytes.Buffer
	tw := tar.NewWriter(&ctxTar)
	add := func(name string, mode int64, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(data)), ModTime: time.Unix(0, 0)}); err != nil {
			tb.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			tb.Fatal(err)
		}
	}
	src := filepath.Join(root, dir)
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		add(filepath.ToSlash(rel), int64(info.Mode().Perm()), data)
		return nil
	})
	if err != nil {
		tb.Fatalf("reading %s: %v", dir, err)
	}
	for file, pkg := range binaries {
		bin, err := goBuild(pkg)
		if err != nil {
			tb.Fatal(err)
		}
		add(file, 0o755, bin)
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	var random [4]byte
	_, _ = rand.Read(random[:])
	tag := "simphony-remote-test/" + name + "-" + hex.EncodeToString(random[:]) + ":latest"
	buildArgs := map[string]*string{}
	for k, v := range args {
		buildArgs[k] = &v
	}
	// NoCache: see TestAppImage.
	resp, err := c.API().ImageBuild(tb.Context(), &ctxTar, build.ImageBuildOptions{
		Tags: []string{tag}, BuildArgs: buildArgs, NoCache: true, Remove: true, ForceRemove: true,
	})
	if err != nil {
		tb.Fatalf("building %s: %v", tag, err)
	}
	defer resp.Body.Close()
	tb.Cleanup(func() { removeImage(c, tag) })
	if err := buildErr(resp.Body); err != nil {
		tb.Fatalf("building %s: %v", tag, err)
	}
	return tag
}
