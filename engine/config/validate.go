package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/human"
)

var realmRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,31}$`)

// validate checks every value; the first problem is returned.
func (l *Loaded) validate() error {
	c := &l.Config
	fail := func(key, format string, args ...any) error {
		return &Error{Key: key, Source: l.Origin[key], Msg: fmt.Sprintf(format, args...)}
	}

	if strings.TrimSpace(c.DataDir) == "" {
		return fail("data_dir", "must not be empty")
	}
	if err := checkListen(c.Listen); err != nil {
		return fail("listen", "%q: %v", c.Listen, err)
	}
	if !realmRE.MatchString(c.Realm) {
		return fail("realm", "%q must be 1 to 32 characters among a-z, 0-9, '_', '.' and '-', starting with a letter or digit (it is part of container names)", c.Realm)
	}

	for _, img := range c.DemoApplications {
		if err := accounting.ValidateImage(img); err != nil {
			return fail("demo_applications", "%v", err)
		}
	}
	switch c.Log.Level {
	case "trace", "debug", "info", "warn", "error":
	default:
		return fail("log.level", "%q must be one of trace, debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "auto", "console", "json":
	default:
		return fail("log.format", "%q must be one of auto, console, json", c.Log.Format)
	}

	if err := checkDockerHost(c.Docker.Host); err != nil {
		return fail("docker.host", "%q: %v", c.Docker.Host, err)
	}
	if c.Docker.TLS {
		if c.Docker.TLSCert == "" || c.Docker.TLSKey == "" {
			key := "docker.tls_cert"
			if c.Docker.TLSCert != "" {
				key = "docker.tls_key"
			}
			return fail(key, "docker.tls is true, so docker.tls_cert and docker.tls_key must both name files")
		}
		files := [][2]string{{"docker.tls_cert", c.Docker.TLSCert}, {"docker.tls_key", c.Docker.TLSKey}}
		if c.Docker.TLSVerify && c.Docker.TLSCA != "" {
			files = append(files, [2]string{"docker.tls_ca", c.Docker.TLSCA})
		}
		for _, f := range files {
			if _, err := os.Stat(f[1]); err != nil {
				return fail(f[0], "cannot use %q: %v", f[1], err)
			}
		}
	}
	if d := c.Docker.NetworkTimeout.D(); d <= 0 || d > time.Hour {
		return fail("docker.network_timeout", "%s must be more than 0 and at most 1 hour", human.Duration(d))
	}

	s := c.Sessions
	if d := s.StartTimeout.D(); d <= 0 || d > time.Hour {
		return fail("sessions.start_timeout", "%s must be more than 0 and at most 1 hour", human.Duration(d))
	}
	if s.Memory != 0 && s.Memory < 6<<20 {
		return fail("sessions.memory", "%d bytes is below Docker's minimum of 6MiB (0 means unlimited)", s.Memory)
	}
	if s.CPUs < 0 || s.CPUs > 1024 {
		return fail("sessions.cpus", "%g must be from 0 (unlimited) to 1024", s.CPUs)
	}
	if s.Pids < 0 {
		return fail("sessions.pids", "%d must be 0 (unlimited) or more", s.Pids)
	}

	if err := l.validateTLS(); err != nil {
		return err
	}
	if err := l.validateWebSockets(); err != nil {
		return err
	}
	if err := l.validateOrigins(); err != nil {
		return err
	}
	if err := l.validateMetrics(); err != nil {
		return err
	}
	switch c.Auth.Mode {
	case "local", "open":
	default:
		return fail("auth.mode", "%q must be local or open", c.Auth.Mode)
	}
	for _, a := range c.Auth.Admins {
		if err := accounting.ValidateUserName(a); err != nil {
			return fail("auth.admins", "%v", err)
		}
	}
	if idle, max := c.Auth.SessionIdle.D(), c.Auth.SessionMax.D(); idle < time.Minute || max < idle {
		return fail("auth.session_idle", "%s must be at least 1 minute and at most auth.session_max (%s)", human.Duration(idle), human.Duration(max))
	}

	if err := l.validateVolumes(); err != nil {
		return err
	}
	switch c.Accounting.Backend {
	case "bbolt":
	case "csv":
		if c.Accounting.Path == "" {
			return fail("accounting.path", "the csv backend needs the path of its CSV file")
		}
	default:
		return fail("accounting.backend", "%q must be bbolt or csv", c.Accounting.Backend)
	}
	return nil
}

func checkListen(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("want HOST:PORT, e.g. localhost:8443 or 0.0.0.0:443 (%v)", err)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("host %q is not a host name or address", host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q must be a number from 1 to 65535", port)
	}
	return nil
}

func checkDockerHost(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	switch u.Scheme {
	case "unix":
		if !strings.HasPrefix(u.Path, "/") {
			return fmt.Errorf("want unix:///path/to/docker.sock")
		}
	case "tcp":
		if _, port, err := net.SplitHostPort(u.Host); err != nil || port == "" {
			return fmt.Errorf("want tcp://HOST:PORT")
		}
	default:
		return fmt.Errorf("scheme %q is not supported; use unix:///path or tcp://HOST:PORT", u.Scheme)
	}
	return nil
}

func (l *Loaded) validateTLS() error {
	t := l.TLS
	fail := func(key, format string, args ...any) error {
		return &Error{Key: key, Source: l.Origin[key], Msg: fmt.Sprintf(format, args...)}
	}
	for _, h := range t.Hostnames {
		if net.ParseIP(h) == nil && !hostnameRE.MatchString(h) {
			return fail("tls.hostnames", "%q is not a host name or IP address", h)
		}
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return fail("tls.cert_file", "tls.cert_file and tls.key_file go together: set both or neither")
	}
	for _, f := range [][2]string{{"tls.cert_file", t.CertFile}, {"tls.key_file", t.KeyFile}} {
		if f[1] == "" {
			continue
		}
		if _, err := os.Stat(f[1]); err != nil {
			return fail(f[0], "cannot use %q: %v", f[1], err)
		}
	}
	if t.Email != "" && !strings.Contains(t.Email, "@") {
		return fail("tls.email", "%q is not an e-mail address", t.Email)
	}
	if t.HTTPRedirect != "" {
		if err := checkListen(t.HTTPRedirect); err != nil {
			return fail("tls.http_redirect", "%q: %v", t.HTTPRedirect, err)
		}
	}
	return nil
}

var hostnameRE = regexp.MustCompile(`^(\*\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$`)
