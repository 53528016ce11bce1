package caddymodule

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// sessionName matches the name of a session's origin, {url_id}.HOST, as
// Caddy's storage names the directory of its certificate.
var sessionName = regexp.MustCompile(`^([0-9a-f]{32})\.(.+)$`)

// PruneCertificates removes from the certificate storage under storageDir
// (DATA_DIR/caddy) the certificates of session origins under host whose
// url id keep does not hold, and says how many it removed. Each session's
// origin gets a certificate of its own on demand; Caddy's own storage
// cleaning is off (see Build), so without this they would pile up.
func PruneCertificates(storageDir, host string, keep func(urlID string) bool) (int, error) {
	issuers, err := os.ReadDir(filepath.Join(storageDir, "certificates"))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	host = strings.ToLower(host)
	removed := 0
	for _, issuer := range issuers {
		dir := filepath.Join(storageDir, "certificates", issuer.Name())
		names, err := os.ReadDir(dir)
		if err != nil {
			continue // not a directory
		}
		for _, n := range names {
			m := sessionName.FindStringSubmatch(n.Name())
			if m == nil || m[2] != host || !n.IsDir() || keep(m[1]) {
				continue
			}
			if err := os.RemoveAll(filepath.Join(dir, n.Name())); err != nil {
				return removed, err
			}
			removed++
		}
	}
	return removed, nil
}
