package images

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// suite is the Debian release of the desktop base.
const suite = "bookworm"

// defaultAptSources are where apt's sources are on the host.
var defaultAptSources = []string{"/etc/apt/sources.list", "/etc/apt/sources.list.d"}

// aptSource is one apt source: a URI and its suites.
type aptSource struct {
	uri    string
	suites []string
}

// readAptSources reads the deb sources of the given files, and of the
// .list and .sources files of the given directories. Missing paths are
// skipped.
func readAptSources(paths []string) ([]aptSource, error) {
	var out []aptSource
	for _, p := range paths {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading apt sources: %w", err)
		}
		files := []string{p}
		if fi.IsDir() {
			files = nil
			des, err := os.ReadDir(p)
			if err != nil {
				return nil, fmt.Errorf("reading apt sources: %w", err)
			}
			for _, de := range des {
				if n := de.Name(); !de.IsDir() && (strings.HasSuffix(n, ".list") || strings.HasSuffix(n, ".sources")) {
					files = append(files, filepath.Join(p, n))
				}
			}
			sort.Strings(files)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("reading apt sources: %w", err)
			}
			if strings.HasSuffix(f, ".sources") {
				out = append(out, parseDeb822(string(data))...)
			} else {
				out = append(out, parseOneLine(string(data))...)
			}
		}
	}
	return out, nil
}

// parseOneLine reads the one-line format: "deb [options] URI suite
// components...".
func parseOneLine(text string) []aptSource {
	var out []aptSource
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		if strings.HasPrefix(f[0], "[") { // options, possibly with spaces
			for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
				f = f[1:]
			}
			if len(f) > 0 {
				f = f[1:]
			}
		}
		if len(f) >= 2 {
			out = append(out, aptSource{uri: f[0], suites: []string{f[1]}})
		}
	}
	return out
}

// parseDeb822 reads the deb822 format: paragraphs of Types, URIs, Suites,
// Components and Enabled fields.
func parseDeb822(text string) []aptSource {
	var out []aptSource
	para := map[string]string{}
	flush := func() {
		if len(para) > 0 && strings.ToLower(para["enabled"]) != "no" && hasField(para["types"], "deb") {
			uris := strings.Fields(para["uris"])
			if len(uris) > 0 {
				out = append(out, aptSource{uri: uris[0], suites: strings.Fields(para["suites"])})
			}
		}
		para = map[string]string{}
	}
	key := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case strings.HasPrefix(line, "#"):
		case line[0] == ' ' || line[0] == '\t': // a continuation
			if key != "" {
				para[key] += " " + strings.TrimSpace(line)
			}
		default:
			k, v, ok := strings.Cut(line, ":")
			if ok {
				key = strings.ToLower(strings.TrimSpace(k))
				para[key] = strings.TrimSpace(v)
			}
		}
	}
	flush()
	return out
}

func hasField(list, want string) bool {
	for _, f := range strings.Fields(list) {
		if f == want {
			return true
		}
	}
	return false
}

// mirrorSources picks, from the host's sources, the Debian mirror for
// the base (the source of suite bookworm, else one whose path ends in
// /debian) and writes the base's sources.list: bookworm from that mirror,
// and bookworm-updates and bookworm-security from wherever the host gets
// them, if it does.
func mirrorSources(srcs []aptSource) (mirror string, list string, err error) {
	usable := func(s aptSource) bool {
		u, err := url.Parse(s.uri)
		return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
	}
	withSuite := func(want string) string {
		for _, s := range srcs {
			if usable(s) && hasField(strings.Join(s.suites, " "), want) {
				return strings.TrimSuffix(s.uri, "/")
			}
		}
		return ""
	}
	mirror = withSuite(suite)
	if mirror == "" {
		for _, s := range srcs {
			if usable(s) && strings.HasSuffix(strings.TrimSuffix(s.uri, "/"), "/debian") {
				mirror = strings.TrimSuffix(s.uri, "/")
				break
			}
		}
	}
	if mirror == "" {
		return "", "", ErrNoMirror
	}
	lines := []string{"deb " + mirror + " " + suite + " main"}
	for _, extra := range []string{suite + "-updates", suite + "-security"} {
		if uri := withSuite(extra); uri != "" {
			lines = append(lines, "deb "+uri+" "+extra+" main")
		}
	}
	return mirror, strings.Join(lines, "\n") + "\n", nil
}
