package app_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/app/apptest"
)

// TestServerBuildHasNoGTK: the plain build (make build, go build) links
// neither Wails nor GTK, while the desktop build does: the server needs no
// desktop libraries.
func TestServerBuildHasNoGTK(t *testing.T) {
	deps := func(tags string) string {
		t.Helper()
		args := []string{"list", "-deps"}
		if tags != "" {
			args = append(args, "-tags", tags)
		}
		out, err := exec.Command("go", append(args, "github.com/simphony/simphony-remote")...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		return string(out)
	}
	if plain := deps(""); strings.Contains(plain, "github.com/wailsapp/wails") || strings.Contains(plain, "github.com/simphony/simphony-remote/app/apptest") {
		t.Error("the server build depends on Wails (or the console's test support)")
	}
	if desk := deps(apptest.Tags); !strings.Contains(desk, "github.com/wailsapp/wails/v2/internal/frontend/desktop/linux") {
		t.Error("the desktop build does not have Wails' Linux window")
	}
}
