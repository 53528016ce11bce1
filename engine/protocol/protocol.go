// Package protocol is simphony-remote's image and container label protocol,
// kept unchanged so that images made for the original keep working.
//
// An application image carries labels under Namespace: ui_name, icon_128 (a
// base64 PNG), description, type (vncapp or webapp) and env.<name> for each
// environment variable it understands (env.x11-width declares X11_WIDTH).
// A running session's container carries the runinfo labels, which are all
// the state needed to find every session again after a restart.
package protocol

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"
	"sort"
	"strings"
)

// Namespace prefixes every label of the protocol.
const Namespace = "eu.simphony-project.docker."

// Image labels.
const (
	LabelUIName      = Namespace + "ui_name"
	LabelIcon128     = Namespace + "icon_128"
	LabelDescription = Namespace + "description"
	LabelType        = Namespace + "type"
	LabelEnvPrefix   = Namespace + "env."
)

// Runtime labels of a session's container.
const (
	LabelUser      = Namespace + "runinfo.user"
	LabelMappingID = Namespace + "runinfo.mapping_id"
	LabelURLID     = Namespace + "runinfo.url_id"
	LabelURLPath   = Namespace + "runinfo.urlpath"
	LabelRealm     = Namespace + "runinfo.realm"
	// LabelInstallation is the installation id of the accounting database
	// of the appliance that started the container (not in the original).
	LabelInstallation = Namespace + "runinfo.installation"
)

// Image types.
const (
	TypeVNC = "vncapp"
	TypeWeb = "webapp"
)

// ContainerPort is the port every application serves HTTP on inside its
// container.
const ContainerPort = 8888

// Environment a started container receives.
const (
	EnvJPYUser     = "JPY_USER"          // the login name
	EnvBaseURL     = "JPY_BASE_USER_URL" // /user/{name}, no trailing slash
	EnvUser        = "USER"              // a unix-safe user name
	EnvURLID       = "URL_ID"            // the session's url id
	EnvAppLicense  = "APP_LICENSE"       // the policy's licence, when set
	EnvX11Width    = "X11_WIDTH"
	EnvX11Height   = "X11_HEIGHT"
	EnvX11Depth    = "X11_DEPTH"
	EnvStartupData = "STARTUPDATA"
	// EnvSessionKey is the session's key (see HeaderSessionKey).
	EnvSessionKey = "SIMPHONY_SESSION_KEY"
)

// Configurables: what a user may set when starting an image that supports it.
const (
	// ConfigResolution ("1280x800") needs X11_WIDTH, X11_HEIGHT and X11_DEPTH.
	ConfigResolution = "resolution"
	// ConfigStartupData (a path) needs STARTUPDATA, and a policy allowing it.
	ConfigStartupData = "startupdata"
)

// Image is an application image as the protocol describes it.
type Image struct {
	// Name is the reference it was looked up by, ID Docker's image id.
	Name, ID    string
	UIName      string
	Icon128     string // base64 PNG, possibly empty
	Description string
	Type        string // TypeVNC, TypeWeb or empty
	// Env lists the declared environment variables, sorted, e.g. X11_WIDTH.
	Env []string
}

// HasProtocol reports whether labels carry any label of the image protocol.
func HasProtocol(labels map[string]string) bool {
	for k := range labels {
		if strings.HasPrefix(k, Namespace) && !strings.HasPrefix(k, Namespace+"runinfo.") {
			return true
		}
	}
	return false
}

// ParseImage reads an image's labels. Missing labels are tolerated (an
// image without the protocol parses to an Image with only Name and ID);
// malformed ones are errors that name the label.
func ParseImage(name, id string, labels map[string]string) (Image, error) {
	img := Image{
		Name: name, ID: id,
		UIName:      labels[LabelUIName],
		Icon128:     labels[LabelIcon128],
		Description: labels[LabelDescription],
		Type:        labels[LabelType],
	}
	switch img.Type {
	case "", TypeVNC, TypeWeb:
	default:
		return Image{}, fmt.Errorf("image %s: label %s is %q; want %s or %s", name, LabelType, img.Type, TypeVNC, TypeWeb)
	}
	if img.Icon128 != "" {
		if err := checkIcon(img.Icon128); err != nil {
			return Image{}, fmt.Errorf("image %s: label %s: %w", name, LabelIcon128, err)
		}
	}
	for k := range labels {
		suffix, ok := strings.CutPrefix(k, LabelEnvPrefix)
		if !ok {
			continue
		}
		env, err := EnvName(suffix)
		if err != nil {
			return Image{}, fmt.Errorf("image %s: label %s: %w", name, k, err)
		}
		img.Env = append(img.Env, env)
	}
	sort.Strings(img.Env)
	return img, nil
}

// EnvName turns a label's env suffix into the variable name: lower-case
// letters, digits and dashes, dashes becoming underscores (x11-width →
// X11_WIDTH).
func EnvName(suffix string) (string, error) {
	if suffix == "" {
		return "", fmt.Errorf("empty environment variable name")
	}
	for _, r := range suffix {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return "", fmt.Errorf("environment variable name %q may only hold a-z, 0-9 and '-'", suffix)
		}
	}
	if suffix[0] >= '0' && suffix[0] <= '9' {
		return "", fmt.Errorf("environment variable name %q starts with a digit", suffix)
	}
	return strings.ToUpper(strings.ReplaceAll(suffix, "-", "_")), nil
}

// maxIcon bounds the decoded icon size.
const maxIcon = 1 << 20

func checkIcon(b64 string) error {
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return fmt.Errorf("not base64: %v", err)
	}
	if len(data) > maxIcon {
		return fmt.Errorf("the icon is larger than %d bytes", maxIcon)
	}
	if _, err := png.DecodeConfig(bytes.NewReader(data)); err != nil {
		return fmt.Errorf("not a PNG image: %v", err)
	}
	return nil
}

// Declares reports whether the image declares all the given variables.
func (img Image) Declares(env ...string) bool {
	for _, e := range env {
		i := sort.SearchStrings(img.Env, e)
		if i == len(img.Env) || img.Env[i] != e {
			return false
		}
	}
	return true
}

// Configurables lists what a user may configure when starting the image.
func (img Image) Configurables() []string {
	var out []string
	if img.Declares(EnvX11Width, EnvX11Height, EnvX11Depth) {
		out = append(out, ConfigResolution)
	}
	if img.Declares(EnvStartupData) {
		out = append(out, ConfigStartupData)
	}
	return out
}

// envDescriptions say what the appliance puts in the declared variables it
// knows.
var envDescriptions = map[string]string{
	EnvX11Width:    "the width of the resolution the user chooses, in pixels",
	EnvX11Height:   "the height of the resolution the user chooses, in pixels",
	EnvX11Depth:    "the colour depth of the resolution the user chooses, in bits",
	EnvStartupData: "the path the user gives as startup data, where the policy allows it",
}

// EnvDescription says what the appliance gives a declared variable; ""
// for one the protocol does not know (the image's own).
func EnvDescription(env string) string { return envDescriptions[env] }

// BaseURL is JPY_BASE_USER_URL for a user: /user/{name}, no trailing slash.
// User names are URL-safe (see accounting.ValidateUserName).
func BaseURL(user string) string { return "/user/" + user }

// URLPath is where a session is served: /user/{name}/containers/{url_id}/.
// Its container's runinfo.urlpath label is the same without the trailing
// slash, as the original wrote it.
func URLPath(user, urlID string) string {
	return BaseURL(user) + "/containers/" + urlID + "/"
}

// Escape makes s safe for a container name or a path component: letters,
// digits, '-' and '.' stay, every other byte becomes '_' and two hex digits
// ("alice@lab" → "alice_40lab"), as the original did with escapism.
func Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "_%02x", c)
	}
	return b.String()
}

// UnixUser derives the USER a container gets from a login name: the part
// before any '@', with characters a unix user name cannot hold replaced by
// '_', starting with a letter, at most 32 characters.
func UnixUser(login string) string {
	name, _, _ := strings.Cut(login, "@")
	var b strings.Builder
	for i := 0; i < len(name) && b.Len() < 32; i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c == '_':
			b.WriteByte(c)
		case (c >= '0' && c <= '9' || c == '-' || c == '.') && b.Len() > 0:
			if c == '.' {
				c = '_'
			}
			b.WriteByte(c)
		case b.Len() == 0 && c >= '0' && c <= '9':
			b.WriteString("u")
			b.WriteByte(c)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "user"
	}
	return b.String()
}

// HeaderSessionKey carries the session's key, a random secret made at each
// start and given to its container in EnvSessionKey, on every request the
// appliance proxies to the container (HTTP and WebSocket); the appliance
// drops it from what clients send. The container's port is published on
// 127.0.0.1, where any local process can connect: an image that answers
// only requests carrying the key (as the starter images do) serves the
// appliance only. Another local user cannot learn it: the container runs
// as its owner's own uid, /proc/PID/environ is readable only by that uid
// and root, and `docker inspect` needs root or the docker group.
const HeaderSessionKey = "X-Simphony-Session-Key"
