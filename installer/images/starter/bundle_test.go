package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// moduleTree is a stand-in for noVNC's modules: ui.js imports from two
// levels below it, with a licence comment and a module imported twice.
func moduleTree(t *testing.T) string {
	t.Helper()
	dir := novncDir(t)
	write(t, filepath.Join(dir, "app", "ui.js"), "import RFB from '../core/rfb.js';\nimport { log } from '../core/util/logging.js';\nlog('ui:' + RFB.name);\n")
	write(t, filepath.Join(dir, "core", "rfb.js"), "/*! noVNC: licence MPL-2.0 */\nimport { log } from './util/logging.js';\nlog('rfb');\nexport default class RFB {}\n")
	write(t, filepath.Join(dir, "core", "util", "logging.js"), "export const order = [];\nexport function log(m) { order.push(m); }\n")
	return dir
}

func TestBundleNoVNC(t *testing.T) {
	dir := moduleTree(t)
	var out strings.Builder
	if err := run(t.Context(), []string{"novnc-bundle", "-novnc", dir}, os.Getenv, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "(3 modules)") {
		t.Errorf("the command said %q, want the 3 modules counted", out.String())
	}
	data, err := os.ReadFile(filepath.Join(dir, uiBundle))
	if err != nil {
		t.Fatal(err)
	}
	js := string(data)
	for _, want := range []string{`"rfb"`, `"ui:"`, "order.push", "noVNC: licence MPL-2.0"} {
		if !strings.Contains(js, want) {
			t.Errorf("the bundle lacks %q:\n%s", want, js)
		}
	}
	if strings.Contains(js, "import ") || strings.Contains(js, "../core/") {
		t.Errorf("the bundle still imports:\n%s", js)
	}
	// The modules run in the order the browser would run them: rfb.js's
	// body before ui.js's.
	if r, u := strings.Index(js, `"rfb"`), strings.Index(js, `"ui:"`); r > u {
		t.Errorf("rfb.js runs after ui.js in the bundle:\n%s", js)
	}
	if fi, err := os.Stat(filepath.Join(dir, uiBundle)); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("the bundle's mode: %v, %v; want 0644, readable by the session's user", fi.Mode(), err)
	}
}

func TestBundleNoVNCRefusesBadModules(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"syntax error", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "core", "rfb.js"), "export default class RFB {\n  oops(\n}\n")
		}, filepath.Join("core", "rfb.js") + ":3:"},
		{"missing module", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "core", "util", "logging.js")); err != nil {
				t.Fatal(err)
			}
		}, "./util/logging.js"},
		{"no ui.js", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "app", "ui.js")); err != nil {
				t.Fatal(err)
			}
		}, "no noVNC in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := moduleTree(t)
			tt.setup(t, dir)
			err := runBundleNoVNC([]string{"-novnc", dir}, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error naming %q", err, tt.want)
			}
			// Nothing half-written stays behind.
			left, _ := filepath.Glob(filepath.Join(dir, "app", "*bundle*"))
			if len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

func TestBundleNoVNCTakesNoArguments(t *testing.T) {
	if err := runBundleNoVNC([]string{"/opt/novnc"}, io.Discard); err == nil || !strings.Contains(err.Error(), "takes no arguments") {
		t.Fatalf("got %v, want the argument refused", err)
	}
}

// TestVNCFrontServesTheBundle: where the image holds the bundle when
// vnc-front starts, noVNC's page loads it in place of ui.js; without it,
// the page is noVNC's own.
func TestVNCFrontServesTheBundle(t *testing.T) {
	dir := moduleTree(t)
	page := func() string {
		f := newVNCFront(testBase, closedAddr(t), dir)
		w := do(f, "GET", testBase+"vnc.html", nil, "")
		if w.Code != 200 {
			t.Fatalf("vnc.html: %d %s", w.Code, w.Body)
		}
		return w.Body.String()
	}
	if p := page(); !strings.Contains(p, `src="app/ui.js"`) || strings.Contains(p, uiBundle) {
		t.Fatalf("without a bundle, the page loads %q", p)
	}
	if err := runBundleNoVNC([]string{"-novnc", dir}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if p := page(); !strings.Contains(p, `<script type="module" crossorigin="anonymous" src="app/ui.bundle.js"></script>`) || strings.Contains(p, `src="app/ui.js"`) {
		t.Fatalf("with the bundle, the page loads %q", p)
	}
	if w := do(newVNCFront(testBase, closedAddr(t), dir), "GET", testBase+uiBundle, nil, ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"rfb"`) {
		t.Fatalf("the bundle is served as %d %q", w.Code, w.Body)
	}
}
