// Package images holds the recipes of the starter images, embedded into the
// simphony-remote binary, which builds them with `simphony-remote image
// build-starters` (see engine/images):
//
//   - desktop/: simphony-remote/desktop, a VNC desktop (vncapp) on a Debian
//     base made with debootstrap: openbox, a panel (lxpanel), a background
//     and a file manager (pcmanfm), a terminal and a text editor, each
//     configured by a file of the recipe (panel, pcmanfm.conf, ...);
//   - files/: simphony-remote/files, a file browser for the workspace
//     (webapp), in an otherwise empty image.
//
// Both run simphony-remote-starter, whose source is in starter/ (built by
// `make build`, not embedded).
package images

import "embed"

// Recipes holds desktop/ and files/: each a Dockerfile, the files it
// copies, and icon.png (128×128), which the builder passes to the
// Dockerfile as the build argument ICON_128 in base64.
//
//go:embed all:desktop all:files
var Recipes embed.FS
