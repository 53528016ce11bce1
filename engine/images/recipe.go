package images

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// starterName is the starter binary's name in the build context.
const starterName = "simphony-remote-starter"

// recipeFiles reads every file of a recipe directory.
func recipeFiles(dir fs.FS) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(dir, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(dir, p)
		files[p] = data
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the recipe: %w", err)
	}
	if _, ok := files["Dockerfile"]; !ok {
		return nil, fmt.Errorf("the recipe has no Dockerfile")
	}
	return files, nil
}

func sortedNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// recipeSum is the SHA-256, in hex, over the recipe files (names and
// contents), the starter binary and extra (the desktop base's parameters).
func recipeSum(files map[string][]byte, starter []byte, extra string) string {
	h := sha256.New()
	field := func(name string, data []byte) {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(data))
		h.Write(data)
	}
	field("simphony-remote starter recipe", []byte("1"))
	for _, n := range sortedNames(files) {
		field("file "+n, files[n])
	}
	field("starter", starter)
	field("base", []byte(extra))
	return hex.EncodeToString(h.Sum(nil))
}

// buildContext is the tar archive Docker builds from: the recipe files and
// the starter binary. Scripts and the binary are executable; times are
// fixed so that Docker's build cache sees identical files as such.
func buildContext(files map[string][]byte, starter []byte) (io.Reader, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, mode int64, data []byte) error {
		hdr := &tar.Header{Name: name, Mode: mode, Size: int64(len(data)), Typeflag: tar.TypeReg, ModTime: time.Unix(1, 0), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	for _, n := range sortedNames(files) {
		mode := int64(0o644)
		if strings.HasSuffix(path.Base(n), ".sh") {
			mode = 0o755
		}
		if err := add(n, mode, files[n]); err != nil {
			return nil, fmt.Errorf("making the build context: %w", err)
		}
	}
	if err := add(starterName, 0o755, starter); err != nil {
		return nil, fmt.Errorf("making the build context: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("making the build context: %w", err)
	}
	return &buf, nil
}

// checkStatic makes sure the starter binary is a statically linked Linux
// executable: the files image holds nothing else to run it.
func checkStatic(name string, data []byte) error {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s is not a Linux executable: %w; run make build", name, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked: build it with CGO_ENABLED=0, as make build does", name)
		}
	}
	return nil
}
