// Package frontend is the web front end: page templates and static files,
// embedded so that the binary carries them. The portal server and the
// desktop console both use it.
package frontend

import "embed"

// FS holds templates/*.html and static/*.
//
//go:embed templates static
var FS embed.FS
