package images

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMirrorSources(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string // relative to sources.list.d unless "sources.list"
		mirror  string
		list    []string
		wantErr error
	}{
		{
			name: "deb822, as on Debian 12",
			files: map[string]string{"debian.sources": `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
`},
			mirror: "http://deb.debian.org/debian",
			list: []string{
				"deb http://deb.debian.org/debian bookworm main",
				"deb http://deb.debian.org/debian bookworm-updates main",
				"deb http://deb.debian.org/debian-security bookworm-security main",
			},
		},
		{
			name: "one-line format with options",
			files: map[string]string{"sources.list": `# local mirror
deb-src http://src.example/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.lab.example/debian/ bookworm main contrib
`},
			mirror: "http://mirror.lab.example/debian",
			list:   []string{"deb http://mirror.lab.example/debian bookworm main"},
		},
		{
			name: "disabled and non-http sources are skipped",
			files: map[string]string{
				"a.sources": "Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no\n",
				"b.list":    "deb cdrom:[Debian]/ bookworm main\ndeb https://on.example/debian bookworm main\n",
			},
			mirror: "https://on.example/debian",
			list:   []string{"deb https://on.example/debian bookworm main"},
		},
		{
			name:   "another Debian release: its mirror serves bookworm too",
			files:  map[string]string{"debian.sources": "Types: deb\nURIs: http://ftp.example.org/debian/\nSuites: trixie\nComponents: main\n"},
			mirror: "http://ftp.example.org/debian",
			list:   []string{"deb http://ftp.example.org/debian bookworm main"},
		},
		{
			name:    "no Debian mirror",
			files:   map[string]string{"ubuntu.list": "deb http://archive.ubuntu.com/ubuntu noble main\n", "x.list.disabled": "deb http://deb.debian.org/debian bookworm main\n"},
			wantErr: ErrNoMirror,
		},
		{name: "no sources at all", wantErr: ErrNoMirror},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			list, listD := filepath.Join(dir, "sources.list"), filepath.Join(dir, "sources.list.d")
			if err := os.Mkdir(listD, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, text := range tt.files {
				p := filepath.Join(listD, name)
				if name == "sources.list" {
					p = list
				}
				if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			base, err := newBaseImage([]string{list, listD})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), list) {
					t.Fatalf("error %v, want %v naming %s", err, tt.wantErr, list)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if base.mirror != tt.mirror {
				t.Errorf("mirror %q, want %q", base.mirror, tt.mirror)
			}
			if want := strings.Join(tt.list, "\n") + "\n"; base.sources != want {
				t.Errorf("sources.list:\n%s\nwant:\n%s", base.sources, want)
			}
			if !strings.HasPrefix(base.tag, baseRepo+":bookworm-") || !strings.Contains(base.params, tt.mirror) {
				t.Errorf("tag %q, params %q", base.tag, base.params)
			}
		})
	}
}

// TestBaseTag checks that the base's tag follows its parameters.
func TestBaseTag(t *testing.T) {
	tag := func(text string) string {
		dir := t.TempDir()
		p := filepath.Join(dir, "sources.list")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := newBaseImage([]string{p})
		if err != nil {
			t.Fatal(err)
		}
		return b.tag
	}
	a := tag("deb http://a.example/debian bookworm main\n")
	if again := tag("deb http://a.example/debian bookworm main contrib\n"); again != a {
		t.Errorf("same mirror, different tags: %s, %s", a, again)
	}
	if other := tag("deb http://b.example/debian bookworm main\n"); other == a {
		t.Errorf("another mirror, same tag %s", a)
	}
}
