package caddymodule

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddypki"
	"github.com/caddyserver/caddy/v2/modules/caddytls"
	"github.com/caddyserver/caddy/v2/modules/filestorage"

	// The log encoders (json) register themselves.
	_ "github.com/caddyserver/caddy/v2/modules/logging"
)

// Options describe the Caddy configuration the appliance runs.
type Options struct {
	// Listen is the HTTPS address, HOST:PORT.
	Listen string
	// StorageDir holds certificates and the local CA (DATA_DIR/caddy).
	StorageDir string
	// Hostnames the certificate covers; see config.TLS.
	Hostnames []string
	// Email enables ACME for public hostnames.
	Email string
	// CertFile and KeyFile, when set, are used as they are.
	CertFile, KeyFile string
	// HTTPRedirect is a plain HTTP address that redirects to HTTPS.
	HTTPRedirect string
	// LogLevel is the appliance's log level (zerolog level names).
	LogLevel string
	// GracePeriod bounds the wait for requests in flight at shutdown.
	GracePeriod time.Duration
	// SessionHost, when set, serves each session on an origin of its own,
	// {url_id}.{SessionHost} (subdomain mode), with a certificate of its
	// own obtained on demand (from the local CA, or ACME for a public
	// name) while the session runs; a certificate pair must cover
	// *.{SessionHost}. Empty: path mode.
	SessionHost string
	// PlainListen, when set, is a plain HTTP address that serves the same
	// route as the HTTPS listener, without TLS. Only make bench sets it (to
	// compare with a plain HTTP proxy), from Go: the configuration file
	// cannot.
	PlainListen string
}

// LocalCA is the name of the appliance's certificate authority.
const LocalCA = "local"

// TLSMode says where certificates come from.
type TLSMode string

// TLS modes.
const (
	TLSInternal TLSMode = "internal" // the appliance's own CA
	TLSACME     TLSMode = "acme"     // ACME for public names, the own CA for the rest
	TLSFiles    TLSMode = "files"    // a given certificate pair
)

// Mode is the TLS mode the options select.
func (o Options) Mode() TLSMode {
	switch {
	case o.CertFile != "":
		return TLSFiles
	case o.Email != "":
		return TLSACME
	}
	return TLSInternal
}

// UsesLocalCA says whether any certificate comes from the appliance's CA,
// whose root users may need to trust.
func (o Options) UsesLocalCA() bool {
	if o.Mode() == TLSFiles {
		return false
	}
	for _, h := range o.names() {
		if o.Mode() == TLSInternal || !IsPublic(h) {
			return true
		}
	}
	return false
}

// CARootFile is where the local CA's root certificate lives in storage.
func (o Options) CARootFile() string {
	return filepath.Join(o.StorageDir, "pki", "authorities", LocalCA, "root.crt")
}

// names is the certificate's names: the configured ones, or the listen
// host plus localhost and 127.0.0.1.
func (o Options) names() []string {
	if len(o.Hostnames) > 0 {
		return o.Hostnames
	}
	names := []string{"localhost", "127.0.0.1"}
	host, _, err := net.SplitHostPort(o.Listen)
	if err == nil && host != "" && host != "localhost" && host != "127.0.0.1" && !net.ParseIP(host).IsUnspecified() {
		names = append([]string{host}, names...)
	}
	return names
}

// IsPublic says whether a name can get a certificate from a public ACME
// CA: a dotted DNS name outside the reserved and private suffixes.
func IsPublic(name string) bool {
	if net.ParseIP(name) != nil || !strings.Contains(name, ".") {
		return false
	}
	for _, suffix := range []string{".localhost", ".local", ".internal", ".lan", ".home.arpa", ".test", ".example", ".invalid"} {
		if strings.HasSuffix(name, suffix) {
			return false
		}
	}
	return true
}

// Build returns the Caddy configuration: one HTTPS server whose only route
// runs our handler, which answers every request (plus the plain redirect server,
// and make bench's plain twin, when asked); its admin endpoint is off and
// nothing is persisted outside StorageDir.
func Build(o Options) (*caddy.Config, error) {
	var warnings []caddyconfig.Warning
	mod := func(v any, field, name string) json.RawMessage {
		return caddyconfig.JSONModuleObject(v, field, name, &warnings)
	}
	names := o.names()

	routes := caddyhttp.RouteList{{HandlersRaw: []json.RawMessage{
		mod(Handler{SessionHost: o.SessionHost}, "handler", "simphony_remote"),
	}}}
	https := &caddyhttp.Server{
		Listen:            []string{o.Listen},
		Routes:            routes,
		AutoHTTPS:         &caddyhttp.AutoHTTPSConfig{Disabled: true},
		TLSConnPolicies:   caddytls.ConnectionPolicies{{DefaultSNI: names[0], FallbackSNI: names[0]}},
		ReadHeaderTimeout: caddy.Duration(10 * time.Second),
		IdleTimeout:       caddy.Duration(5 * time.Minute),
		MaxHeaderBytes:    32 << 10,
		Protocols:         []string{"h1", "h2"},
	}
	servers := map[string]*caddyhttp.Server{"https": https}
	if o.HTTPRedirect != "" {
		servers["http"] = redirectServer(o, mod)
	}
	if o.PlainListen != "" {
		servers["plain"] = &caddyhttp.Server{
			Listen:            []string{o.PlainListen},
			Routes:            routes,
			AutoHTTPS:         &caddyhttp.AutoHTTPSConfig{Disabled: true},
			ReadHeaderTimeout: https.ReadHeaderTimeout,
			IdleTimeout:       https.IdleTimeout,
			MaxHeaderBytes:    https.MaxHeaderBytes,
			Protocols:         []string{"h1"},
		}
	}
	httpApp := caddyhttp.App{Servers: servers, GracePeriod: caddy.Duration(o.GracePeriod)}

	// Storage cleaning is off: Caddy v2.11.9's cleaner goroutine writes a
	// field that the TLS app's CaddyModule (a value receiver) copies, a data
	// race the race detector reports (caddyserver/caddy PR #7410). Nothing
	// piles up without it: the internal CA's leaf certificates are
	// overwritten when renewed, OCSP staples and locks are per name, and
	// the appliance removes the certificates of ended sessions' origins
	// itself (PruneCertificates).
	tlsApp := caddytls.TLS{Automation: &caddytls.AutomationConfig{}, DisableStorageClean: true}
	internal := mod(caddytls.InternalIssuer{CA: LocalCA}, "module", "internal")
	switch o.Mode() {
	case TLSFiles:
		tlsApp.CertificatesRaw = caddy.ModuleMap{"load_files": caddyconfig.JSON([]caddytls.CertKeyFilePair{{Certificate: o.CertFile, Key: o.KeyFile}}, &warnings)}
	case TLSACME:
		var public, private []string
		for _, n := range names {
			if IsPublic(n) {
				public = append(public, n)
			} else {
				private = append(private, n)
			}
		}
		if len(public) > 0 {
			tlsApp.Automation.Policies = append(tlsApp.Automation.Policies, &caddytls.AutomationPolicy{
				SubjectsRaw: public,
				IssuersRaw:  []json.RawMessage{mod(caddytls.ACMEIssuer{Email: o.Email}, "module", "acme")},
			})
		}
		if len(private) > 0 {
			tlsApp.Automation.Policies = append(tlsApp.Automation.Policies, &caddytls.AutomationPolicy{SubjectsRaw: private, IssuersRaw: []json.RawMessage{internal}})
		}
		tlsApp.CertificatesRaw = caddy.ModuleMap{"automate": caddyconfig.JSON(names, &warnings)}
	default:
		tlsApp.Automation.Policies = []*caddytls.AutomationPolicy{{SubjectsRaw: names, IssuersRaw: []json.RawMessage{internal}}}
		tlsApp.CertificatesRaw = caddy.ModuleMap{"automate": caddyconfig.JSON(names, &warnings)}
	}

	if o.SessionHost != "" && o.Mode() != TLSFiles {
		// Each session's name gets a certificate of its own at its first
		// handshake, for running sessions only (Permission): browsers take
		// no wildcard under a single-label name (*.localhost), and one from
		// ACME would need the DNS challenge. The local CA signs at once;
		// ACME (for a public name) takes seconds.
		issuer := internal
		if o.Mode() == TLSACME && IsPublic(o.SessionHost) {
			issuer = mod(caddytls.ACMEIssuer{Email: o.Email}, "module", "acme")
		}
		tlsApp.Automation.OnDemand = &caddytls.OnDemandConfig{PermissionRaw: mod(Permission{SessionHost: o.SessionHost}, "module", "simphony_remote")}
		tlsApp.Automation.Policies = append(tlsApp.Automation.Policies, &caddytls.AutomationPolicy{OnDemand: true, IssuersRaw: []json.RawMessage{issuer}})
	}

	noTrust := false
	pkiApp := caddypki.PKI{CAs: map[string]*caddypki.CA{LocalCA: {
		Name: "SimPhoNy Remote Local Authority", RootCommonName: "SimPhoNy Remote Local Root",
		IntermediateCommonName: "SimPhoNy Remote Local Intermediate", InstallTrust: &noTrust,
	}}}

	persist := false
	// Caddy's info messages (certificate maintenance, locks) are noise at
	// the appliance's info level: they show at debug.
	level := "WARN"
	switch o.LogLevel {
	case "trace", "debug":
		level = "DEBUG"
	case "error":
		level = "ERROR"
	}
	cfg := &caddy.Config{
		Admin:      &caddy.AdminConfig{Disabled: true, Config: &caddy.ConfigSettings{Persist: &persist}},
		StorageRaw: mod(filestorage.FileStorage{Root: o.StorageDir}, "module", "file_system"),
		Logging: &caddy.Logging{Logs: map[string]*caddy.CustomLog{"default": {BaseLog: caddy.BaseLog{
			WriterRaw:  mod(LogWriter{}, "output", "zerolog"),
			EncoderRaw: json.RawMessage(`{"format":"json"}`),
			Level:      level,
		}}}},
		AppsRaw: caddy.ModuleMap{
			"http": caddyconfig.JSON(httpApp, &warnings),
			"tls":  caddyconfig.JSON(tlsApp, &warnings),
			"pki":  caddyconfig.JSON(pkiApp, &warnings),
		},
	}
	if len(warnings) > 0 {
		return nil, fmt.Errorf("building the Caddy configuration: %v", warnings)
	}
	return cfg, nil
}

// redirectServer answers plain HTTP with a permanent redirect to HTTPS.
func redirectServer(o Options, mod func(v any, field, name string) json.RawMessage) *caddyhttp.Server {
	_, port, _ := net.SplitHostPort(o.Listen)
	host := "{http.request.host}"
	if port != "443" {
		host += ":" + port
	}
	redirect := caddyhttp.StaticResponse{
		StatusCode: caddyhttp.WeakString(fmt.Sprint(http.StatusPermanentRedirect)),
		Headers:    http.Header{"Location": []string{"https://" + host + "{http.request.uri}"}},
		Close:      true,
	}
	return &caddyhttp.Server{
		Listen:            []string{o.HTTPRedirect},
		Routes:            caddyhttp.RouteList{{HandlersRaw: []json.RawMessage{mod(redirect, "handler", "static_response")}}},
		AutoHTTPS:         &caddyhttp.AutoHTTPSConfig{Disabled: true},
		ReadHeaderTimeout: caddy.Duration(10 * time.Second),
		Protocols:         []string{"h1"},
	}
}
