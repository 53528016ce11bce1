package accounting

import (
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/distribution/reference"
)

// InvalidError says which value broke which rule. It matches ErrInvalid with
// errors.Is.
type InvalidError struct {
	What  string // "user name", "image name", "volume", ...
	Value string
	Rule  string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.What, e.Value, e.Rule)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(what, value, format string, args ...any) error {
	return &InvalidError{What: what, Value: value, Rule: fmt.Sprintf(format, args...)}
}

// MaxUserNameLen is the longest accepted user name, in bytes.
const MaxUserNameLen = 64

// UserNameRule describes the accepted user names, for messages and docs.
const UserNameRule = "user names are 1 to 64 characters among a-z, 0-9, '.', '_', '-' and '@', starting with a letter or a digit"

// ValidateUserName checks a user name. Names appear in URLs, container names
// and home directory paths, so the set is deliberately small: lowercase ASCII
// letters, digits, '.', '_', '-' and '@', starting with a letter or a digit,
// at most 64 characters.
func ValidateUserName(name string) error {
	const what = "user name"
	switch {
	case name == "":
		return invalid(what, name, "it is empty; %s", UserNameRule)
	case len(name) > MaxUserNameLen:
		return invalid(what, name, "it is %d bytes long, the limit is %d", len(name), MaxUserNameLen)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		if i > 0 {
			ok = ok || r == '.' || r == '_' || r == '-' || r == '@'
		}
		if ok {
			continue
		}
		switch {
		case r == utf8.RuneError:
			return invalid(what, name, "it is not valid UTF-8; %s", UserNameRule)
		case r < 0x20 || r == 0x7f:
			return invalid(what, name, "control character %U at byte %d; %s", r, i, UserNameRule)
		case r == '/' || r == '\\':
			return invalid(what, name, "path separator %q at byte %d; %s", r, i, UserNameRule)
		case r >= 'A' && r <= 'Z':
			return invalid(what, name, "upper-case letter %q at byte %d; %s", r, i, UserNameRule)
		case i == 0:
			return invalid(what, name, "it starts with %q; %s", r, UserNameRule)
		default:
			return invalid(what, name, "character %q at byte %d is not allowed; %s", r, i, UserNameRule)
		}
	}
	return nil
}

// ValidateImage checks that image is a Docker image reference such as
// "ubuntu", "simphony/desktop:1.0" or "registry.lab:5000/app@sha256:…".
func ValidateImage(image string) error {
	const what = "image name"
	if image == "" {
		return invalid(what, image, "it is empty")
	}
	if strings.TrimSpace(image) != image {
		return invalid(what, image, "it has leading or trailing white space")
	}
	if len(image) > 512 {
		return invalid(what, image, "it is %d bytes long, the limit is 512", len(image))
	}
	if _, err := reference.ParseNormalizedNamed(image); err != nil {
		return invalid(what, image, "not a Docker image reference (%v)", err)
	}
	return nil
}

// kernelTargets are where Docker mounts the container's kernel file
// systems: a volume may not hide them, nor be mounted inside them.
var kernelTargets = []string{"/proc", "/sys", "/dev"}

// ParseVolume reads SOURCE:TARGET:MODE, where SOURCE (on the host) and TARGET
// (in the container) are absolute paths and MODE is "ro" or "rw". The paths
// are returned cleaned. Which sources may be mounted is not decided here
// but on the host, by the volumes package (under the allowed roots only).
func ParseVolume(s string) (Volume, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return Volume{}, invalid("volume", s, "want SOURCE:TARGET:MODE with absolute paths and MODE ro or rw (paths may not contain ':')")
	}
	v := Volume{Source: parts[0], Target: parts[1], Mode: parts[2]}
	if err := v.check(); err != nil {
		return Volume{}, err
	}
	v.Source, v.Target = path.Clean(v.Source), path.Clean(v.Target)
	return v, nil
}

// Validate checks a volume; the zero Volume is valid (no volume).
func (v Volume) Validate() error {
	if v.IsZero() {
		return nil
	}
	return v.check()
}

func (v Volume) check() error {
	s := v.Source + ":" + v.Target + ":" + v.Mode
	if err := checkMountPath("source", v.Source); err != nil {
		return invalid("volume", s, "%v", err)
	}
	if err := checkMountPath("target", v.Target); err != nil {
		return invalid("volume", s, "%v", err)
	}
	if v.Mode != "ro" && v.Mode != "rw" {
		return invalid("volume", s, "mode %q must be ro or rw", v.Mode)
	}
	tgt := path.Clean(v.Target)
	for _, k := range kernelTargets {
		switch {
		case tgt == k:
			return invalid("volume", s, "target %s is a kernel file system that Docker sets up in every container", tgt)
		case within(tgt, k):
			return invalid("volume", s, "target %s is inside %s, a kernel file system that Docker sets up in every container", tgt, k)
		}
	}
	if tgt == "/" {
		return invalid("volume", s, "target / would hide the container's own file system")
	}
	return nil
}

func checkMountPath(which, p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%s is empty", which)
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%s %q is not an absolute path", which, p)
	case len(p) > 4096:
		return fmt.Errorf("%s is longer than 4096 bytes", which)
	case !utf8.ValidString(p):
		return fmt.Errorf("%s is not valid UTF-8", which)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%s contains control character %U", which, r)
		}
	}
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return fmt.Errorf("%s %q has a '..' component", which, p)
		}
	}
	return nil
}

// within reports whether p is dir or lies under it; both are clean paths.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// MaxAppLicenseLen bounds the licence string passed to containers.
const MaxAppLicenseLen = 4096

// Validate checks a policy.
func (p Policy) Validate() error {
	if len(p.AppLicense) > MaxAppLicenseLen {
		return invalid("app licence", p.AppLicense[:32]+"…", "it is %d bytes long, the limit is %d", len(p.AppLicense), MaxAppLicenseLen)
	}
	if strings.ContainsRune(p.AppLicense, 0) {
		return invalid("app licence", p.AppLicense, "it contains a NUL byte")
	}
	if err := p.Volume.Validate(); err != nil {
		return err
	}
	if p.AllowHome && !p.Volume.IsZero() && path.Clean(p.Volume.Target) == "/workspace" {
		return invalid("volume", p.Volume.String(), "target /workspace is where the home workspace is mounted (allow_home)")
	}
	return nil
}

// Canonical returns p with its volume paths cleaned, so that policies that
// mean the same compare equal. Call it on a valid policy.
func (p Policy) Canonical() Policy {
	if !p.Volume.IsZero() {
		p.Volume.Source = path.Clean(p.Volume.Source)
		p.Volume.Target = path.Clean(p.Volume.Target)
	}
	return p
}

// MinMemory is Docker's smallest memory limit.
const MinMemory = 6 << 20

// Validate checks resource limits; zero fields are valid (the default).
func (l Limits) Validate() error {
	const what = "limits"
	v := fmt.Sprintf("memory=%d cpus=%g pids=%d", l.Memory, l.CPUs, l.Pids)
	switch {
	case l.Memory < 0 || l.Memory > 0 && l.Memory < MinMemory:
		return invalid(what, v, "memory must be 0 (the default) or at least 6MiB")
	case l.CPUs < 0 || l.CPUs > 1024 || l.CPUs != l.CPUs:
		return invalid(what, v, "cpus must be from 0 (the default) to 1024")
	case l.Pids < 0:
		return invalid(what, v, "pids must be 0 (the default) or more")
	}
	return nil
}
