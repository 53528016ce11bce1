// Package version reports what this binary is built from.
package version

import (
	"runtime"
	"runtime/debug"
)

// Set at build time with -ldflags "-X …/engine/version.Version=… -X …Commit=…".
var (
	Version = "dev"
	Commit  = ""
)

// Info describes the build.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Go      string `json:"go"`
	// Caddy is the embedded Caddy's version, empty when none is linked in.
	Caddy string `json:"caddy"`
}

// Get returns the build's description.
func Get() Info {
	info := Info{Version: Version, Commit: Commit, Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == "github.com/caddyserver/caddy/v2" {
				info.Caddy = dep.Version
				if dep.Replace != nil {
					info.Caddy = dep.Replace.Version
				}
			}
		}
		if info.Commit == "" {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					info.Commit = s.Value
				}
			}
		}
	}
	return info
}
