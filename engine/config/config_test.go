package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaultsAreValid(t *testing.T) {
	l, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Config, Default()) {
		t.Errorf("Load with no sources = %+v, want the defaults", l.Config)
	}
	if got, want := l.AccountingPath(), filepath.Join("data", "simphony-remote.db"); got != want {
		t.Errorf("AccountingPath() = %q, want %q", got, want)
	}
}

// The documented sample file must list every key with its default value.
func TestSampleFileMatchesDefaults(t *testing.T) {
	sample := filepath.Join("..", "..", "installer", "simphony-remote.toml")
	l, err := Load(Sources{File: sample})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Config, Default()) {
		t.Errorf("%s = %+v, want the defaults %+v", sample, l.Config, Default())
	}
	for _, k := range Keys() {
		if l.Origin[k] != sample {
			t.Errorf("%s does not set %s", sample, k)
		}
	}
}

func TestFiles(t *testing.T) {
	tests := []struct {
		file    string
		check   func(t *testing.T, c Config)
		wantErr string // all of its ;-separated parts must appear
	}{
		{file: "valid.toml", check: func(t *testing.T, c Config) {
			if c.Listen != "0.0.0.0:443" || c.Realm != "lab" || c.Docker.NetworkTimeout.D() != 2*time.Minute || c.Log.Level != "debug" {
				t.Errorf("got %+v", c)
			}
			if c.DataDir != "./data" || !c.Docker.TLSVerify {
				t.Errorf("unset keys lost their defaults: %+v", c)
			}
		}},
		{file: "unknown-key.toml", wantErr: "configuration key docker.hots (testdata/unknown-key.toml): unknown key"},
		{file: "int-timeout.toml", wantErr: "docker.network_timeout;testdata/int-timeout.toml;line 2"},
		{file: "bad-duration.toml", wantErr: `docker.network_timeout;testdata/bad-duration.toml;line 2;"soon" is not a duration`},
		{file: "wrong-type.toml", wantErr: "docker.tls;testdata/wrong-type.toml;line 2;destination has type boolean"},
		{file: "syntax.toml", wantErr: "testdata/syntax.toml line 1"},
		{file: "no-port.toml", wantErr: `configuration key listen (testdata/no-port.toml): "localhost": want HOST:PORT`},
		{file: "csv-no-path.toml", wantErr: "configuration key accounting.path (default): the csv backend needs the path"},
		{file: "tls-missing-files.toml", wantErr: `configuration key docker.tls_cert (testdata/tls-missing-files.toml): cannot use "/nonexistent/cert.pem"`},
		{file: "metrics-short-token.toml", wantErr: "configuration key metrics.token (testdata/metrics-short-token.toml): must be at least 16 printable ASCII characters"},
		{file: "missing.toml", wantErr: "configuration (testdata/missing.toml): cannot read the file: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			l, err := Load(Sources{File: "testdata/" + tt.file})
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("no error, want %q", tt.wantErr)
				}
				for _, part := range strings.Split(tt.wantErr, ";") {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("error %q does not contain %q", err, part)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, l.Config)
		})
	}
}

func TestPrecedence(t *testing.T) {
	l, err := Load(Sources{
		File: "testdata/valid.toml", // listen 0.0.0.0:443, realm lab
		Env:  []string{"SIMPHONY_REMOTE_LISTEN=127.0.0.1:9000", "SIMPHONY_REMOTE_DOCKER_TLS_VERIFY=false", "PATH=/bin", "SIMPHONY_REMOTE_CONFIG=ignored.toml"},
		Flags: []Flag{
			{Name: "--listen", Key: "listen", Value: "127.0.0.1:9443"},
			{Name: "--data", Key: "data_dir", Value: "/srv/simphony"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ value, origin string }{
		"listen":            {l.Listen, "flag --listen"},
		"data_dir":          {l.DataDir, "flag --data"},
		"realm":             {l.Realm, "testdata/valid.toml"},
		"docker.tls_verify": {"false", "environment SIMPHONY_REMOTE_DOCKER_TLS_VERIFY"},
	}
	if l.Listen != "127.0.0.1:9443" || l.DataDir != "/srv/simphony" || l.Realm != "lab" || l.Docker.TLSVerify {
		t.Errorf("got %+v", l.Config)
	}
	for k, w := range want {
		if l.Origin[k] != w.origin {
			t.Errorf("origin of %s = %q, want %q", k, l.Origin[k], w.origin)
		}
	}
	if _, ok := l.Origin["log.format"]; ok {
		t.Error("a default has an origin")
	}
}

func TestEnvErrors(t *testing.T) {
	tests := []struct {
		env     string
		wantErr string
	}{
		{"SIMPHONY_REMOTE_DOCKER_TLS=maybe", `configuration key docker.tls (environment SIMPHONY_REMOTE_DOCKER_TLS): "maybe" is not a boolean`},
		{"SIMPHONY_REMOTE_DOCKER_NETWORK_TIMEOUT=-5s", "configuration key docker.network_timeout (environment SIMPHONY_REMOTE_DOCKER_NETWORK_TIMEOUT): -5 seconds must be more than 0 and at most 1 hour"},
		{"SIMPHONY_REMOTE_LISTN=:80", "(environment SIMPHONY_REMOTE_LISTN): unknown variable; known: SIMPHONY_REMOTE_ACCOUNTING_BACKEND"},
		{"SIMPHONY_REMOTE_LOG_LEVEL=loud", `configuration key log.level (environment SIMPHONY_REMOTE_LOG_LEVEL): "loud" must be one of`},
		{"SIMPHONY_REMOTE_REALM=Lab Realm", `configuration key realm (environment SIMPHONY_REMOTE_REALM): "Lab Realm" must be`},
		{"SIMPHONY_REMOTE_DOCKER_HOST=ssh://x", `docker.host (environment SIMPHONY_REMOTE_DOCKER_HOST): "ssh://x": scheme "ssh" is not supported`},
		{"SIMPHONY_REMOTE_DOCKER_HOST=tcp://x", `want tcp://HOST:PORT`},
		{"SIMPHONY_REMOTE_ACCOUNTING_BACKEND=sqlite", `accounting.backend (environment SIMPHONY_REMOTE_ACCOUNTING_BACKEND): "sqlite" must be bbolt or csv`},
		{"SIMPHONY_REMOTE_DATA_DIR= ", "data_dir (environment SIMPHONY_REMOTE_DATA_DIR): must not be empty"},
		{"SIMPHONY_REMOTE_SESSIONS_MEMORY=lots", `sessions.memory (environment SIMPHONY_REMOTE_SESSIONS_MEMORY): "lots" is not a size`},
		{"SIMPHONY_REMOTE_SESSIONS_MEMORY=1k", "below Docker's minimum of 6MiB"},
		{"SIMPHONY_REMOTE_SESSIONS_CPUS=many", `sessions.cpus (environment SIMPHONY_REMOTE_SESSIONS_CPUS): "many" is not a number`},
		{"SIMPHONY_REMOTE_SESSIONS_CPUS=-1", "sessions.cpus (environment SIMPHONY_REMOTE_SESSIONS_CPUS): -1 must be from 0"},
		{"SIMPHONY_REMOTE_SESSIONS_PIDS=-1", "sessions.pids"},
		{"SIMPHONY_REMOTE_SESSIONS_START_TIMEOUT=0s", "sessions.start_timeout"},
		{"SIMPHONY_REMOTE_TLS_HOSTNAMES=lab.example.org,bad host", `tls.hostnames (environment SIMPHONY_REMOTE_TLS_HOSTNAMES): "bad host" is not a host name`},
		{"SIMPHONY_REMOTE_TLS_CERT_FILE=/x.pem", "tls.cert_file and tls.key_file go together"},
		{"SIMPHONY_REMOTE_TLS_EMAIL=admin", `tls.email (environment SIMPHONY_REMOTE_TLS_EMAIL): "admin" is not an e-mail address`},
		{"SIMPHONY_REMOTE_TLS_HTTP_REDIRECT=80", "tls.http_redirect"},
		{"SIMPHONY_REMOTE_AUTH_MODE=ldap", `auth.mode (environment SIMPHONY_REMOTE_AUTH_MODE): "ldap" must be local or open`},
		{"SIMPHONY_REMOTE_AUTH_ADMINS=alice,Bob", `auth.admins (environment SIMPHONY_REMOTE_AUTH_ADMINS): invalid user name "Bob"`},
		{"SIMPHONY_REMOTE_AUTH_SESSION_IDLE=30s", "auth.session_idle (environment SIMPHONY_REMOTE_AUTH_SESSION_IDLE): 30 seconds must be at least 1 minute and at most auth.session_max (7 days)"},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			_, err := Load(Sources{Env: []string{tt.env}})
			var cerr *Error
			if !errors.As(err, &cerr) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want a config error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSessionsFromEnv(t *testing.T) {
	l, err := Load(Sources{Env: []string{"SIMPHONY_REMOTE_SESSIONS_MEMORY=512m", "SIMPHONY_REMOTE_SESSIONS_CPUS=1.5", "SIMPHONY_REMOTE_SESSIONS_PIDS=0"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := l.Sessions; s.Memory != 512<<20 || s.CPUs != 1.5 || s.Pids != 0 {
		t.Errorf("sessions = %+v", s)
	}
	out, _ := l.TOML()
	if !strings.Contains(string(out), `memory = "512MiB"`) {
		t.Errorf("printed:\n%s", out)
	}
}

func TestListsFromEnv(t *testing.T) {
	l, err := Load(Sources{Env: []string{"SIMPHONY_REMOTE_TLS_HOSTNAMES=lab.example.org, 10.0.0.5", "SIMPHONY_REMOTE_AUTH_ADMINS=alice"}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.TLS.Hostnames, []string{"lab.example.org", "10.0.0.5"}) || !reflect.DeepEqual(l.Auth.Admins, []string{"alice"}) {
		t.Errorf("tls.hostnames = %q, auth.admins = %q", l.TLS.Hostnames, l.Auth.Admins)
	}
}

func TestFlagError(t *testing.T) {
	_, err := Load(Sources{Flags: []Flag{{Name: "--listen", Key: "listen", Value: "localhost:99999"}}})
	if err == nil || !strings.Contains(err.Error(), `configuration key listen (flag --listen): "localhost:99999": port "99999" must be a number from 1 to 65535`) {
		t.Fatalf("error = %v", err)
	}
}

func TestTOMLRoundTrip(t *testing.T) {
	l, err := Load(Sources{File: "testdata/valid.toml"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := l.TOML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `network_timeout = "2m0s"`) {
		t.Errorf("printed configuration lacks the duration as text:\n%s", out)
	}
	path := filepath.Join(t.TempDir(), "printed.toml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := Load(Sources{File: path})
	if err != nil {
		t.Fatalf("the printed configuration does not load: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(again.Config, l.Config) {
		t.Errorf("round trip changed the configuration: %+v vs %+v", again.Config, l.Config)
	}
}
