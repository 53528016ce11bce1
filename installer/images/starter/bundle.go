package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// noVNC's page loads app/ui.js, a module that imports 43 others (five
// levels deep): a desktop's start asked for each through the appliance
// while the desktop itself was starting. The desktop image bundles them
// once, when it is built, into uiBundle, which vnc-front's page loads
// instead: one request, and nothing to discover.
const (
	uiModule = "app/ui.js"
	uiBundle = "app/ui.bundle.js"
)

// runBundleNoVNC is the `novnc-bundle` command, run by the desktop image's
// recipe: it writes noVNC's uiModule and everything it imports as one
// module, uiBundle, beside it. The file appears whole or not at all.
func runBundleNoVNC(args []string, stderr io.Writer) error {
	fl := flag.NewFlagSet("novnc-bundle", flag.ContinueOnError)
	novnc := fl.String("novnc", "/opt/novnc", "directory holding noVNC (vnc.html, app/, core/, vendor/)")
	if help, err := parseFlags(fl, args, stderr, fmt.Sprintf("Bundles noVNC's %s and the modules it imports into %s, which vnc-front serves in its place.", uiModule, uiBundle)); help || err != nil {
		return err
	}
	n, err := bundleNoVNC(*novnc)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "bundled %s (%d modules) into %s\n", filepath.Join(*novnc, uiModule), n, filepath.Join(*novnc, uiBundle))
	return nil
}

// bundleNoVNC writes dir's uiBundle and returns how many modules it holds.
// The bundle keeps the modules' order of evaluation and their licence
// comments (at its end); whitespace and syntax are minified.
func bundleNoVNC(dir string) (int, error) {
	entry := filepath.Join(dir, uiModule)
	if fi, err := os.Stat(entry); err != nil || !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("no noVNC in %s (%s missing): set -novnc", dir, uiModule)
	}
	out := filepath.Join(dir, uiBundle)
	r := api.Build(api.BuildOptions{
		EntryPoints:      []string{entry},
		Outfile:          out,
		Bundle:           true,
		Format:           api.FormatESModule,
		Platform:         api.PlatformBrowser,
		MinifyWhitespace: true,
		MinifySyntax:     true,
		LegalComments:    api.LegalCommentsEndOfFile,
		Metafile:         true,
		LogLevel:         api.LogLevelSilent,
		AbsWorkingDir:    dir,
	})
	if len(r.Errors) > 0 {
		return 0, fmt.Errorf("bundling %s: %s", entry, messages(r.Errors))
	}
	var js []byte
	for _, f := range r.OutputFiles {
		if f.Path == out {
			js = f.Contents
		}
	}
	if js == nil {
		return 0, fmt.Errorf("bundling %s: esbuild wrote no %s", entry, uiBundle)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".ui.bundle-*.js")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing left to remove
	if _, err := tmp.Write(js); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return 0, err
	}
	var meta struct {
		Inputs map[string]json.RawMessage `json:"inputs"`
	}
	if err := json.Unmarshal([]byte(r.Metafile), &meta); err != nil {
		return 0, fmt.Errorf("bundling %s: esbuild's metafile: %w", entry, err)
	}
	return len(meta.Inputs), nil
}

// messages is esbuild's errors as one line each, with where they are.
func messages(msgs []api.Message) string {
	lines := make([]string, 0, len(msgs))
	for _, m := range msgs {
		if l := m.Location; l != nil {
			lines = append(lines, fmt.Sprintf("%s:%d:%d: %s", l.File, l.Line, l.Column+1, m.Text))
		} else {
			lines = append(lines, m.Text)
		}
	}
	return strings.Join(lines, "; ")
}
