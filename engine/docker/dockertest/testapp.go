package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"

	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/protocol"
)

var (
	testappOnce sync.Once
	testappBin  []byte
	testappErr  error
)

// testappBinary builds testdata/testapp statically, once per test process.
func testappBinary() ([]byte, error) {
	testappOnce.Do(func() {
		testappBin, testappErr = goBuild("./testdata/testapp")
	})
	return testappBin, testappErr
}

// TestAppImage builds the test application image FROM scratch with the
// given environment (e.g. TESTAPP_MODE) and returns its tag; the image
// declares the resolution and startupdata configurables and runs as uid
// 1000. It is removed when the test ends.
func TestAppImage(tb testing.TB, c *docker.Client, name string, env map[string]string) string {
	tb.Helper()
	bin, err := testappBinary()
	if err != nil {
		tb.Fatal(err)
	}
	tag := "simphony-remote-test/" + name + ":latest"
	var df strings.Builder
	df.WriteString("FROM scratch\nCOPY testapp /testapp\nUSER 1000:1000\nEXPOSE 8888\nENTRYPOINT [\"/testapp\"]\n")
	for k, v := range env {
		fmt.Fprintf(&df, "ENV %s=%q\n", k, v)
	}
	for k, v := range map[string]string{
		protocol.LabelUIName: "Test app " + name, protocol.LabelType: protocol.TypeWeb,
		protocol.LabelDescription:             "An application for tests",
		protocol.LabelEnvPrefix + "x11-width": "", protocol.LabelEnvPrefix + "x11-height": "",
		protocol.LabelEnvPrefix + "x11-depth": "", protocol.LabelEnvPrefix + "startupdata": "",
	} {
		fmt.Fprintf(&df, "LABEL %q=%q\n", k, v)
	}
	var ctxTar bytes.Buffer
	tw := tar.NewWriter(&ctxTar)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"Dockerfile", 0o644, []byte(df.String())}, {"testapp", 0o755, bin}} {
		_ = tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: time.Unix(0, 0)})
		_, _ = tw.Write(f.data)
	}
	_ = tw.Close()
	// NoCache: packages test in parallel, and a build that reused another
	// test's intermediate layer fails ("No such image") when that test's
	// cleanup removes it.
	resp, err := c.API().ImageBuild(tb.Context(), &ctxTar, build.ImageBuildOptions{Tags: []string{tag}, NoCache: true, Remove: true, ForceRemove: true})
	if err != nil {
		tb.Fatalf("building %s: %v", tag, err)
	}
	defer resp.Body.Close()
	if err := buildErr(resp.Body); err != nil {
		tb.Fatalf("building %s: %v", tag, err)
	}
	tb.Cleanup(func() { removeImage(c, tag) })
	return tag
}

// buildErr reads a build's JSON progress stream and returns its error.
func buildErr(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var msg struct {
			Error  string `json:"error"`
			Stream string `json:"stream"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if msg.Error != "" {
			return fmt.Errorf("%s", msg.Error)
		}
	}
}

// removeImage removes an image and, first, every container made from it,
// so that nothing is left dangling.
func removeImage(c *docker.Client, ref string) {
	ctx := context.Background()
	list, _ := c.API().ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("ancestor", ref))})
	for _, ct := range list {
		_ = c.API().ContainerRemove(ctx, ct.ID, container.RemoveOptions{Force: true})
	}
	_, _ = c.API().ImageRemove(ctx, ref, image.RemoveOptions{Force: true, PruneChildren: true})
}
