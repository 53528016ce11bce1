package config

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Volumes says which host directories grants may mount into sessions.
type Volumes struct {
	// AllowedRoots are absolute host directories: a volume's source must
	// be one of them or lie under one, and every directory from / down to
	// the source must be owned by root and writable by root only, with no
	// symbolic link (checked at grant and at every start). None (the
	// default): no volume may be granted or started. A root need not
	// exist yet; serve warns about the roots that cannot be used.
	AllowedRoots []string `toml:"allowed_roots"`
}

// validateVolumes checks the roots' spelling; the host is checked by the
// volumes package, at grant and at start.
func (l *Loaded) validateVolumes() error {
	for _, r := range l.Volumes.AllowedRoots {
		var msg string
		switch {
		case !strings.HasPrefix(r, "/"):
			msg = fmt.Sprintf("%q is not an absolute path", r)
		case filepath.Clean(r) == "/":
			msg = fmt.Sprintf("%q would allow the whole host", r)
		case filepath.Clean(r) != r:
			msg = fmt.Sprintf("%q is not clean: write it %s", r, filepath.Clean(r))
		case strings.Contains(r, ":"):
			msg = fmt.Sprintf("%q contains ':', which volumes cannot (SOURCE:TARGET:MODE)", r)
		default:
			continue
		}
		return &Error{Key: "volumes.allowed_roots", Source: l.Origin["volumes.allowed_roots"], Msg: msg}
	}
	return nil
}
