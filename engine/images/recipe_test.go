package images

import (
	"archive/tar"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	recipes "github.com/simphony/simphony-remote/installer/images"
)

func TestRecipes(t *testing.T) {
	for _, s := range starters {
		t.Run(s.name, func(t *testing.T) {
			sub, err := fs.Sub(recipes.Recipes, s.name)
			if err != nil {
				t.Fatal(err)
			}
			files, err := recipeFiles(sub)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"Dockerfile", "icon.png"} {
				if _, ok := files[want]; !ok {
					t.Errorf("recipe lacks %s", want)
				}
			}
			for name := range files {
				if strings.HasSuffix(name, ".go") {
					t.Errorf("recipe holds Go source %s", name)
				}
			}
		})
	}
}

func TestRecipeSum(t *testing.T) {
	files := map[string][]byte{"Dockerfile": []byte("FROM scratch\n"), "icon.png": []byte("png")}
	base := recipeSum(files, []byte("starter"), "")
	changed := []struct {
		name    string
		files   map[string][]byte
		starter string
		extra   string
	}{
		{"a recipe file", map[string][]byte{"Dockerfile": []byte("FROM scratch \n"), "icon.png": []byte("png")}, "starter", ""},
		{"a file's name", map[string][]byte{"Dockerfile": []byte("FROM scratch\n"), "icon2.png": []byte("png")}, "starter", ""},
		{"a file moved between name and content", map[string][]byte{"Dockerfile": []byte("FROM scratch\n"), "icon.pn": []byte("gpng")}, "starter", ""},
		{"the starter", files, "starter2", ""},
		{"the base", files, "starter", "deb http://other/debian bookworm main"},
	}
	for _, c := range changed {
		if got := recipeSum(c.files, []byte(c.starter), c.extra); got == base {
			t.Errorf("changing %s keeps the sum %s", c.name, got)
		}
	}
	if again := recipeSum(files, []byte("starter"), ""); again != base || len(base) != 64 {
		t.Errorf("sum %q then %q, want the same 64 hex digits", base, again)
	}
}

func TestBuildContext(t *testing.T) {
	files := map[string][]byte{"Dockerfile": []byte("FROM scratch\n"), "entrypoint.sh": []byte("#!/bin/sh\n"), "icon.png": []byte("png")}
	r, err := buildContext(files, []byte("\x7fELF"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"Dockerfile": 0o644, "entrypoint.sh": 0o755, "icon.png": 0o644, starterName: 0o755}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		mode, ok := want[hdr.Name]
		if !ok {
			t.Errorf("unexpected %s in the context", hdr.Name)
			continue
		}
		if hdr.Mode != mode {
			t.Errorf("%s: mode %o, want %o", hdr.Name, hdr.Mode, mode)
		}
		delete(want, hdr.Name)
	}
	if len(want) > 0 {
		t.Errorf("missing from the context: %v", want)
	}
}

func TestReadStarter(t *testing.T) {
	dir := t.TempDir()
	notELF := filepath.Join(dir, "script")
	if err := os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dynamic, err := os.Executable() // the test binary: dynamically linked or not, an ELF file
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       string
		is         error
	}{
		{"none given", "", "run make build", ErrNoStarter},
		{"missing", filepath.Join(dir, "nope"), "run make build", ErrNoStarter},
		{"not an executable", notELF, "not a Linux executable", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readStarter(tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
	if _, err := readStarter(dynamic); err != nil && !strings.Contains(err.Error(), "dynamically linked") {
		t.Errorf("the test binary: %v", err)
	}
	if _, err := BuildStarters(t.Context(), nil, Options{Only: "web"}); err == nil || !strings.Contains(err.Error(), "want desktop or files") {
		t.Errorf("unknown --only: %v", err)
	}
}
