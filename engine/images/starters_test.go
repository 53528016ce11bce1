package images_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/images"
	"github.com/simphony/simphony-remote/engine/protocol"
)

var (
	tmpRoot string // removed by TestMain

	starterOnce sync.Once
	starterPath string
	starterErr  error

	buildOnce    sync.Once
	buildResults []images.Result
	buildErr     error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if tmpRoot != "" {
		_ = os.RemoveAll(tmpRoot)
	}
	os.Exit(code)
}

// starter builds simphony-remote-starter once, exactly as make build does,
// so that images made by make images are up to date for these tests.
func starter(t *testing.T) string {
	t.Helper()
	starterOnce.Do(func() {
		if tmpRoot, starterErr = os.MkdirTemp("", "simphony-remote-images-test"); starterErr != nil {
			return
		}
		starterPath = filepath.Join(tmpRoot, "simphony-remote-starter")
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w", "-o", starterPath, "./installer/images/starter")
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			starterErr = fmt.Errorf("building the starter: %v\n%s", err, out)
		}
	})
	if starterErr != nil {
		t.Fatal(starterErr)
	}
	return starterPath
}

// buildStarters builds the starter images once for all the tests.
func buildStarters(t *testing.T, c *docker.Client) []images.Result {
	t.Helper()
	path := starter(t)
	buildOnce.Do(func() {
		var out bytes.Buffer
		buildResults, buildErr = images.BuildStarters(context.Background(), c, images.Options{Starter: path, Progress: &out})
		t.Logf("first build:\n%s", out.String())
	})
	if errors.Is(buildErr, images.ErrNeedRoot) && os.Getenv("CI") != "true" {
		t.Skip("SKIPPED: ", buildErr)
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildResults
}

func TestBuildStarters(t *testing.T) {
	c := dockertest.Require(t)
	first := buildStarters(t, c)
	if len(first) != 2 || first[0].Image != images.Files || first[1].Image != images.Desktop {
		t.Fatalf("results %+v, want files then desktop", first)
	}

	want := map[string]struct {
		typ, uiName string
		env         []string
	}{
		images.Files:   {protocol.TypeWeb, "Files", nil},
		images.Desktop: {protocol.TypeVNC, "Desktop", []string{protocol.EnvStartupData, protocol.EnvX11Depth, protocol.EnvX11Height, protocol.EnvX11Width}},
	}
	for _, r := range first {
		t.Run("labels of "+r.Image, func(t *testing.T) {
			info, err := c.API().ImageInspect(t.Context(), r.Image)
			if err != nil {
				t.Fatal(err)
			}
			labels := info.Config.Labels
			if labels[images.LabelRecipe] != r.Recipe || info.ID != r.ID {
				t.Errorf("recipe label %q, id %s; want %q, %s", labels[images.LabelRecipe], info.ID, r.Recipe, r.ID)
			}
			img, err := protocol.ParseImage(r.Image, info.ID, labels)
			if err != nil {
				t.Fatal(err)
			}
			w := want[r.Image]
			if img.Type != w.typ || img.UIName != w.uiName || img.Description == "" {
				t.Errorf("type %q, ui_name %q, description %q; want %q, %q and a description", img.Type, img.UIName, img.Description, w.typ, w.uiName)
			}
			if strings.Join(img.Env, ",") != strings.Join(w.env, ",") {
				t.Errorf("env %v, want %v", img.Env, w.env)
			}
			data, err := base64.StdEncoding.DecodeString(img.Icon128)
			if err != nil {
				t.Fatal(err)
			}
			icon, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if b := icon.Bounds(); b.Dx() != 128 || b.Dy() != 128 {
				t.Errorf("icon is %dx%d, want 128x128", b.Dx(), b.Dy())
			}
		})
	}
	desktop, _ := protocol.ParseImage(images.Desktop, "", mustLabels(t, c, images.Desktop))
	if got := strings.Join(desktop.Configurables(), ","); got != "resolution,startupdata" {
		t.Errorf("desktop configurables %q, want resolution,startupdata", got)
	}

	t.Run("a second build is up to date", func(t *testing.T) {
		var out bytes.Buffer
		second, err := images.BuildStarters(t.Context(), c, images.Options{Starter: starter(t), Progress: &out})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range second {
			if !r.UpToDate || r.ID != first[i].ID || r.Recipe != first[i].Recipe {
				t.Errorf("%s: up to date %v, id %s (was %s)", r.Image, r.UpToDate, r.ID, first[i].ID)
			}
		}
		if strings.Contains(out.String(), "Step ") || strings.Count(out.String(), "up to date") != 2 {
			t.Errorf("progress of the second build:\n%s", out.String())
		}
	})

	t.Run("force rebuilds", func(t *testing.T) {
		var out bytes.Buffer
		forced, err := images.BuildStarters(t.Context(), c, images.Options{Starter: starter(t), Only: "files", Force: true, Progress: &out})
		if err != nil {
			t.Fatal(err)
		}
		if len(forced) != 1 || forced[0].UpToDate || forced[0].Recipe != first[0].Recipe || !strings.Contains(out.String(), "Step 1/") {
			t.Errorf("forced: %+v\n%s", forced, out.String())
		}
	})

	t.Run("a missing starter says run make build", func(t *testing.T) {
		_, err := images.BuildStarters(t.Context(), c, images.Options{Starter: filepath.Join(t.TempDir(), "simphony-remote-starter")})
		if !errors.Is(err, images.ErrNoStarter) || !strings.Contains(err.Error(), "make build") {
			t.Errorf("got %v", err)
		}
	})
}

func mustLabels(t *testing.T, c *docker.Client, ref string) map[string]string {
	t.Helper()
	info, err := c.API().ImageInspect(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return info.Config.Labels
}
