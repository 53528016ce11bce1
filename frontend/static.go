package frontend

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"
)

// StaticPrefix is where StaticHandler serves static/*.
const StaticPrefix = "/static/"

// staticSums are the static files' versions: the start of the SHA-256 of
// each file's content, by its name under static/.
var staticSums = sync.OnceValue(func() map[string]string {
	sums := map[string]string{}
	err := fs.WalkDir(FS, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(FS, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		sums[strings.TrimPrefix(path, "static/")] = hex.EncodeToString(sum[:8])
		return nil
	})
	if err != nil {
		panic(err) // the files are embedded: only a broken build fails here
	}
	return sums
})

// Static is the address of the static file name with its version, which
// changes with its content: StaticHandler lets browsers keep a versioned
// address for good, so that a page whose files the browser has met loads
// none of them again. An unknown name is an error, which fails the page's
// template.
func Static(name string) (string, error) {
	sum, ok := staticSums()[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return StaticPrefix + name + "?v=" + sum, nil
}

// Funcs are the template functions every page may use: static (Static).
var Funcs = template.FuncMap{"static": Static}

// StaticHandler serves the static files under StaticPrefix. An address
// with the file's version (Static) may be kept for a year without asking
// again; any other (a module's relative import, a page of an older build)
// is checked each time against the version as its ETag, which answers an
// unchanged file with a 304.
func StaticHandler() http.Handler {
	sub, err := fs.Sub(FS, "static")
	if err != nil {
		panic(err) // static/ is embedded
	}
	files := http.StripPrefix(StaticPrefix, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sum, ok := staticSums()[strings.TrimPrefix(r.URL.Path, StaticPrefix)]; ok {
			w.Header().Set("ETag", `"`+sum+`"`)
			if r.URL.Query().Get("v") == sum {
				w.Header().Set("Cache-Control", "max-age=31536000, immutable")
			} else {
				w.Header().Set("Cache-Control", "no-cache")
			}
		}
		files.ServeHTTP(w, r)
	})
}
