package caddymodule

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

func caddyctx() caddy.Context { return caddy.Context{} }

// render returns the JSON Caddy would load.
func render(t *testing.T, o Options) string {
	t.Helper()
	cfg, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuild(t *testing.T) {
	base := Options{Listen: "localhost:8443", StorageDir: "/data/caddy", LogLevel: "info"}
	tests := []struct {
		name    string
		change  func(*Options)
		mode    TLSMode
		localCA bool
		want    []string
		notWant []string
	}{
		{name: "defaults: the local CA", mode: TLSInternal, localCA: true, want: []string{
			`"admin":{"disabled":true,"config":{"persist":false}}`,
			`"storage":{"module":"file_system","root":"/data/caddy"}`,
			`"listen":["localhost:8443"]`,
			// The module answers every request: no reverse_proxy.
			`"routes":[{"handle":[{"handler":"simphony_remote"}]}]`,
			`"disable_storage_clean":true`,
			`"automatic_https":{"disable":true}`,
			`"automate":["localhost","127.0.0.1"]`,
			`"issuers":[{"ca":"local","module":"internal"}]`,
			`"install_trust":false`,
			`"default_sni":"localhost"`,
			`"output":"zerolog"`,
			`"level":"WARN"`,
		}, notWant: []string{"acme", "load_files", `"http":{"listen"`, `"plain"`, "reverse_proxy"}},
		{name: "make bench's plain twin", mode: TLSInternal, localCA: true, change: func(o *Options) { o.PlainListen = "127.0.0.1:9080" },
			want: []string{`"plain":{"listen":["127.0.0.1:9080"]`, `"protocols":["h1"]`}},
		{name: "a named listen host", change: func(o *Options) { o.Listen = "lab.local:443" }, mode: TLSInternal, localCA: true,
			want: []string{`"automate":["lab.local","localhost","127.0.0.1"]`, `"default_sni":"lab.local"`}},
		{name: "ACME for public names, the local CA for the others", mode: TLSACME, localCA: true, change: func(o *Options) {
			o.Hostnames = []string{"remote.lab.example.org", "remote.lab.internal"}
			o.Email = "ops@lab.example.org"
		}, want: []string{
			`{"subjects":["remote.lab.example.org"],"issuers":[{"email":"ops@lab.example.org","module":"acme"}]}`,
			`{"subjects":["remote.lab.internal"],"issuers":[{"ca":"local","module":"internal"}]}`,
		}},
		{name: "ACME only", mode: TLSACME, localCA: false, change: func(o *Options) {
			o.Hostnames = []string{"remote.lab.example.org"}
			o.Email = "ops@lab.example.org"
		}, notWant: []string{`"module":"internal"`}},
		{name: "a certificate pair", mode: TLSFiles, localCA: false, change: func(o *Options) {
			o.Hostnames = []string{"remote.lab.example.org"}
			o.CertFile, o.KeyFile = "/etc/ssl/remote.pem", "/etc/ssl/remote.key"
		}, want: []string{`"load_files":[{"certificate":"/etc/ssl/remote.pem","key":"/etc/ssl/remote.key"}]`}, notWant: []string{"automate", "acme"}},
		{name: "a redirect from plain HTTP", mode: TLSInternal, localCA: true, change: func(o *Options) { o.HTTPRedirect = ":80" },
			want: []string{`"listen":[":80"]`, `"Location":["https://{http.request.host}:8443{http.request.uri}"]`, `"status_code":308`}},
		{name: "a redirect to port 443", mode: TLSInternal, localCA: true, change: func(o *Options) { o.Listen = ":443"; o.HTTPRedirect = ":80" },
			want: []string{`"Location":["https://{http.request.host}{http.request.uri}"]`}},
		{name: "subdomain origins: certificates on demand from the local CA, for running sessions", mode: TLSInternal, localCA: true, change: func(o *Options) { o.SessionHost = "localhost" },
			want: []string{`"session_host":"localhost"`, `"automate":["localhost","127.0.0.1"]`, `"default_sni":"localhost"`,
				`"on_demand":{"permission":{"module":"simphony_remote","session_host":"localhost"}}`,
				`{"issuers":[{"ca":"local","module":"internal"}],"on_demand":true}`,
			}, notWant: []string{"*.", "acme"}},
		{name: "subdomain origins with ACME: certificates on demand from ACME", mode: TLSACME, localCA: false, change: func(o *Options) {
			o.Hostnames = []string{"remote.lab.example.org"}
			o.Email = "ops@lab.example.org"
			o.SessionHost = "remote.lab.example.org"
		}, want: []string{
			`"on_demand":{"permission":{"module":"simphony_remote","session_host":"remote.lab.example.org"}}`,
			`{"issuers":[{"email":"ops@lab.example.org","module":"acme"}],"on_demand":true}`,
		}, notWant: []string{`*.`, `"module":"internal"`}},
		{name: "subdomain origins with ACME on a private name: on demand from the local CA", mode: TLSACME, localCA: true, change: func(o *Options) {
			o.Hostnames = []string{"remote.lab.internal"}
			o.Email = "ops@lab.example.org"
			o.SessionHost = "remote.lab.internal"
		}, want: []string{`{"issuers":[{"ca":"local","module":"internal"}],"on_demand":true}`}, notWant: []string{`"module":"acme"`, "*."}},
		{name: "subdomain origins with a certificate pair: nothing on demand", mode: TLSFiles, localCA: false, change: func(o *Options) {
			o.Hostnames = []string{"remote.lab.example.org"}
			o.CertFile, o.KeyFile = "/etc/ssl/remote.pem", "/etc/ssl/remote.key"
			o.SessionHost = "remote.lab.example.org"
		}, want: []string{`"session_host":"remote.lab.example.org"`}, notWant: []string{"on_demand"}},
		{name: "path origins: nothing on demand", mode: TLSInternal, localCA: true, notWant: []string{"on_demand", "session_host"}},
		{name: "debug logs", mode: TLSInternal, localCA: true, change: func(o *Options) { o.LogLevel = "debug" }, want: []string{`"level":"DEBUG"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			if tt.change != nil {
				tt.change(&o)
			}
			if o.Mode() != tt.mode || o.UsesLocalCA() != tt.localCA {
				t.Errorf("mode %s, local CA %v; want %s, %v", o.Mode(), o.UsesLocalCA(), tt.mode, tt.localCA)
			}
			got := render(t, o)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("configuration lacks %s:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("configuration has %s:\n%s", w, got)
				}
			}
		})
	}
}

func TestIsPublic(t *testing.T) {
	for name, want := range map[string]bool{
		"remote.lab.example.org": true, "lab.uni.edu": true,
		"localhost": false, "intranet": false, "10.0.0.5": false, "::1": false,
		"lab.local": false, "x.internal": false, "box.lan": false, "a.home.arpa": false, "app.localhost": false,
	} {
		if IsPublic(name) != want {
			t.Errorf("IsPublic(%q) = %v, want %v", name, !want, want)
		}
	}
}

// TestBuildLoads: Caddy provisions the configurations of subdomain mode,
// our on-demand permission module included (nothing is started).
func TestBuildLoads(t *testing.T) {
	SetBackend(&fakeBackend{})
	for _, o := range []Options{
		{Listen: "127.0.0.1:0", StorageDir: t.TempDir(), SessionHost: "localhost"},
		{Listen: "127.0.0.1:0", StorageDir: t.TempDir(), SessionHost: "remote.lab.example.org",
			Hostnames: []string{"remote.lab.example.org"}, Email: "ops@lab.example.org"},
	} {
		cfg, err := Build(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := caddy.Validate(cfg); err != nil {
			t.Errorf("Caddy refuses the configuration for %s: %v", o.SessionHost, err)
		}
	}
}
