// Package config holds the appliance's configuration: one TOML file, loaded
// as defaults, then the file, then SIMPHONY_REMOTE_* environment variables,
// then command-line flags, and validated once at the end. Every error names
// the key and where its value came from.
package config

import (
	"bytes"
	"fmt"
	"path/filepath"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/docker/go-units"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// Config is the whole configuration. The toml tags are the file's keys; a
// key's environment variable is SIMPHONY_REMOTE_ followed by the key in upper
// case with dots replaced by underscores (docker.tls_ca →
// SIMPHONY_REMOTE_DOCKER_TLS_CA).
type Config struct {
	// DataDir holds the database, persistent homes, certificates and the
	// admin socket.
	DataDir string `toml:"data_dir"`
	// Listen is the HTTPS address, HOST:PORT.
	Listen string `toml:"listen"`
	// Realm tags the containers this appliance manages, so that several
	// appliances can share one Docker Engine.
	Realm string `toml:"realm"`
	// DemoApplications are images that serve registers and grants (with a
	// home workspace, sharing allowed) to the administrator it creates on
	// its first start.
	DemoApplications []string `toml:"demo_applications"`

	Log        Log        `toml:"log"`
	Docker     Docker     `toml:"docker"`
	Accounting Accounting `toml:"accounting"`
	Sessions   Sessions   `toml:"sessions"`
	TLS        TLS        `toml:"tls"`
	Auth       Auth       `toml:"auth"`
	Volumes    Volumes    `toml:"volumes"`
	WebSockets WebSockets `toml:"websockets"`
	Metrics    Metrics    `toml:"metrics"`
}

// TLS configures HTTPS. Without a certificate pair or an ACME e-mail, the
// appliance's own certificate authority (in DATA_DIR/caddy) signs the
// certificate; browsers must be told to trust it (see /ca.crt).
type TLS struct {
	// Hostnames the certificate covers. Empty: the listen host, plus
	// localhost and 127.0.0.1.
	Hostnames []string `toml:"hostnames"`
	// Email enables ACME (Let's Encrypt) for the public hostnames.
	Email string `toml:"email"`
	// CertFile and KeyFile, when set, are the certificate (PEM chain) and
	// key used as they are.
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`
	// HTTPRedirect is an address (e.g. ":80") where plain HTTP is answered
	// with a redirect to HTTPS; empty for none.
	HTTPRedirect string `toml:"http_redirect"`
}

// Auth configures sign-in.
type Auth struct {
	// Mode is local (accounts and passwords in the database) or open (any
	// valid name signs in without a password: demonstrations only).
	Mode string `toml:"mode"`
	// Admins are administrators in addition to users with the admin flag.
	Admins []string `toml:"admins"`
	// SessionIdle signs a browser out after this long without requests;
	// SessionMax after this long in any case.
	SessionIdle Duration `toml:"session_idle"`
	SessionMax  Duration `toml:"session_max"`
}

// Sessions configures the containers that run users' applications.
type Sessions struct {
	// StartTimeout bounds a session start, from the image check until the
	// application answers HTTP.
	StartTimeout Duration `toml:"start_timeout"`
	// Memory, CPUs and Pids are the default limits of a session container;
	// an application's own limits override them. 0 means unlimited.
	Memory ByteSize `toml:"memory"`
	CPUs   float64  `toml:"cpus"`
	Pids   int64    `toml:"pids"`
	// UIDRange is where each user's session uid (and gid) comes from; see
	// uids.go.
	UIDRange accounting.UIDRange `toml:"uid_range"`
	// NoNewPrivileges stops processes in session containers from gaining
	// privileges (setuid binaries such as sudo stop working).
	NoNewPrivileges bool `toml:"no_new_privileges"`
	// Origins is auto, subdomain or path: see origins.go.
	Origins string `toml:"origins"`
}

// Log configures logging.
type Log struct {
	// Level is trace, debug, info, warn or error.
	Level string `toml:"level"`
	// Format is auto (console on a terminal, JSON otherwise), console or json.
	Format string `toml:"format"`
}

// Docker says how to reach the Docker Engine. When Host is empty, the usual
// DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH variables apply, and
// without them the local socket.
type Docker struct {
	Host      string `toml:"host"`
	TLS       bool   `toml:"tls"`
	TLSVerify bool   `toml:"tls_verify"`
	TLSCA     string `toml:"tls_ca"`
	TLSCert   string `toml:"tls_cert"`
	TLSKey    string `toml:"tls_key"`
	// NetworkTimeout bounds each Docker operation and, later, the wait for a
	// session's first HTTP answer.
	NetworkTimeout Duration `toml:"network_timeout"`
}

// Accounting selects the accounting backend.
type Accounting struct {
	// Backend is bbolt (read-write, the default) or csv (read-only).
	Backend string `toml:"backend"`
	// Path is the database or CSV file; empty means
	// DATA_DIR/simphony-remote.db for bbolt.
	Path string `toml:"path"`
}

// DatabaseFile is the default bbolt file name inside the data dir.
const DatabaseFile = "simphony-remote.db"

// Default returns the embedded defaults: data in ./data, HTTPS on
// localhost:8443.
func Default() Config {
	return Config{
		DataDir:          "./data",
		Listen:           "localhost:8443",
		Realm:            "remoteexec",
		DemoApplications: []string{},
		Log:              Log{Level: "info", Format: "auto"},
		Docker: Docker{
			TLSVerify:      true,
			NetworkTimeout: Duration(30 * time.Second),
		},
		Accounting: Accounting{Backend: "bbolt"},
		TLS:        TLS{Hostnames: []string{}},
		Auth: Auth{
			Mode:        "local",
			Admins:      []string{},
			SessionIdle: Duration(12 * time.Hour),
			SessionMax:  Duration(7 * 24 * time.Hour),
		},
		Volumes: Volumes{AllowedRoots: []string{}},
		Metrics: Metrics{},
		Sessions: Sessions{
			StartTimeout:    Duration(60 * time.Second),
			Memory:          ByteSize(4 << 30),
			CPUs:            2,
			Pids:            2048,
			UIDRange:        accounting.DefaultUIDRange,
			NoNewPrivileges: true,
			Origins:         OriginsAuto,
		},
		WebSockets: DefaultWebSockets(),
	}
}

// AccountingPath is the accounting file: Accounting.Path, or the default
// database inside the data dir.
func (c *Config) AccountingPath() string {
	if c.Accounting.Path != "" {
		return c.Accounting.Path
	}
	return filepath.Join(c.DataDir, DatabaseFile)
}

// TOML renders c as a configuration file.
func (c *Config) TOML() ([]byte, error) {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(c); err != nil {
		return nil, fmt.Errorf("encoding configuration: %w", err)
	}
	return buf.Bytes(), nil
}

// Duration is a time.Duration written as "30s", "2m" or "1h30m".
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like \"30s\" or \"2m\"", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText formats the duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// ByteSize is a size in bytes written as "512MiB", "4GiB" or "4g".
type ByteSize int64

// UnmarshalText parses a size with an optional unit (k, m, g, t; KiB, MiB…).
func (b *ByteSize) UnmarshalText(t []byte) error {
	v, err := units.RAMInBytes(string(t))
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a size like \"512MiB\" or \"4GiB\"", t)
	}
	*b = ByteSize(v)
	return nil
}

// MarshalText formats the size with a binary unit.
func (b ByteSize) MarshalText() ([]byte, error) {
	return []byte(units.BytesSize(float64(b))), nil
}

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
