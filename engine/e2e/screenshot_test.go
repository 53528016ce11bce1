package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// screenshot saves the whole page as a PNG, the test's artifact: in
// $SIMPHONY_TEST_SCREENSHOTS when set (as NAME.png), else in the test's
// temporary directory; the log says where. It returns the PNG.
func screenshot(t *testing.T, ctx context.Context, name string) []byte {
	t.Helper()
	shot := get(t, ctx, chromedp.FullScreenshot(100))
	dir := os.Getenv("SIMPHONY_TEST_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, strings.NewReplacer("/", "-", " ", "-").Replace(name)+".png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Errorf("saving the screenshot %s: %v", name, err)
	}
	t.Logf("screenshot %s: %s", name, path)
	return shot
}
