package config

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"strings"
)

// Origin modes (sessions.origins): where a session's pages run in the
// browser.
const (
	// OriginsAuto is subdomain when the public host is a DNS name, path
	// when it is an IP address or the appliance listens on all addresses
	// without tls.hostnames.
	OriginsAuto = "auto"
	// OriginsSubdomain serves each session on an origin of its own,
	// https://{url_id}.{host}:{port}, apart from the portal's.
	OriginsSubdomain = "subdomain"
	// OriginsPath serves sessions under the portal's origin: a session's
	// scripts can act as whoever views it (see README, "Origins").
	OriginsPath = "path"
)

// PublicHost is the name users reach the appliance by: the first of
// tls.hostnames, else the listen host (localhost when it listens on all
// addresses), in lower case.
func (c *Config) PublicHost() string {
	if len(c.TLS.Hostnames) > 0 {
		return strings.ToLower(c.TLS.Hostnames[0])
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil || host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified() {
		return "localhost"
	}
	return strings.ToLower(host)
}

// Origins is the origin mode in force: sessions.origins, with auto
// resolved from the public host.
func (c *Config) Origins() string {
	if c.Sessions.Origins != OriginsAuto {
		return c.Sessions.Origins
	}
	if net.ParseIP(c.PublicHost()) != nil || c.listensEverywhere() {
		return OriginsPath
	}
	return OriginsSubdomain
}

// listensEverywhere says whether the appliance listens on all addresses
// with no tls.hostnames to name it: users may reach it by any address,
// where sessions on subdomains of localhost would not open.
func (c *Config) listensEverywhere() bool {
	if len(c.TLS.Hostnames) > 0 {
		return false
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil || host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// validateOrigins checks sessions.origins against the public host and,
// with a certificate pair, that the certificate covers the sessions'
// names.
func (l *Loaded) validateOrigins() error {
	c := &l.Config
	fail := func(format string, args ...any) error {
		return &Error{Key: "sessions.origins", Source: l.Origin["sessions.origins"], Msg: fmt.Sprintf(format, args...)}
	}
	switch c.Sessions.Origins {
	case OriginsAuto, OriginsSubdomain, OriginsPath:
	default:
		return fail("%q must be auto, subdomain or path", c.Sessions.Origins)
	}
	if c.Origins() != OriginsSubdomain {
		return nil
	}
	host := c.PublicHost()
	if net.ParseIP(host) != nil || strings.HasPrefix(host, "*.") {
		return fail("subdomain origins need a DNS name as the public host (the first of tls.hostnames, else the listen host), not %q: set one, or sessions.origins = \"path\"", host)
	}
	if c.TLS.CertFile == "" {
		return nil
	}
	data, err := os.ReadFile(c.TLS.CertFile)
	if err != nil {
		return fail("reading tls.cert_file to check it covers the sessions' names: %v", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return fail("tls.cert_file %q holds no PEM certificate", c.TLS.CertFile)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fail("parsing tls.cert_file %q: %v", c.TLS.CertFile, err)
	}
	if err := cert.VerifyHostname(strings.Repeat("0", 32) + "." + host); err != nil {
		return fail("sessions run on origins of their own, {url_id}.%s, but tls.cert_file does not cover *.%s: use a certificate that also names *.%s, or set sessions.origins = \"path\" (less safe: see the README, \"Origins\")", host, host, host)
	}
	return nil
}
