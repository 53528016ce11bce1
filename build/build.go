// Package build holds the desktop console's build assets: its icon
// (appicon.png, also Wails' convention) and its Linux desktop entry
// (linux/simphony-remote-console.desktop), which packages install.
package build

import _ "embed"

// Icon is the console's icon, a 256×256 PNG.
//
//go:embed appicon.png
var Icon []byte
