package caddymodule

import (
	"os"
	"path/filepath"
	"testing"
)

// The certificates of ended sessions go; those of running sessions, of
// the appliance's own names and of other hosts stay.
func TestPruneCertificates(t *testing.T) {
	dir := t.TempDir()
	const running, ended = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	names := map[string]bool{ // name → kept
		running + ".localhost":        true,
		ended + ".localhost":          false,
		"localhost":                   true,
		ended + ".lab.example.org":    true, // another host
		"abc.localhost":               true, // not a url id
		ended[:31] + ".localhost":     true,
		"sub." + ended + ".localhost": true,
	}
	for _, issuer := range []string{"local", "acme-v02.api.letsencrypt.org-directory"} {
		for name := range names {
			d := filepath.Join(dir, "certificates", issuer, name)
			if err := os.MkdirAll(d, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(d, name+".crt"), []byte("cert"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := PruneCertificates(dir, "LocalHost", func(id string) bool { return id == running })
	if err != nil || n != 2 {
		t.Fatalf("PruneCertificates = %d, %v; want 2 removed", n, err)
	}
	for _, issuer := range []string{"local", "acme-v02.api.letsencrypt.org-directory"} {
		for name, kept := range names {
			_, err := os.Stat(filepath.Join(dir, "certificates", issuer, name, name+".crt"))
			if kept && err != nil {
				t.Errorf("%s/%s was removed", issuer, name)
			}
			if !kept && err == nil {
				t.Errorf("%s/%s was kept", issuer, name)
			}
		}
	}
	if n, err := PruneCertificates(t.TempDir(), "localhost", func(string) bool { return false }); n != 0 || err != nil {
		t.Errorf("an empty storage: %d, %v", n, err)
	}
}
