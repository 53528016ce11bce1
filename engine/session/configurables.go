package session

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/protocol"
)

// Resolution bounds and defaults.
const (
	MinWidth, MaxWidth   = 320, 7680
	MinHeight, MaxHeight = 200, 4320
	DefaultResolution    = "1024x768"
	DefaultDepth         = "24"
	maxStartupData       = 4096
)

var resolutionRE = regexp.MustCompile(`^([0-9]{1,5})x([0-9]{1,5})$`)

// configurableEnv checks the configurables a user asked for against what
// the image supports and the policy allows, and returns the environment
// they set. It is the only place these rules are enforced.
func configurableEnv(img protocol.Image, p accounting.Policy, conf map[string]string) (map[string]string, error) {
	supported := img.Configurables()
	env := map[string]string{}
	for k := range conf {
		if !slices.Contains(supported, k) {
			if len(supported) == 0 {
				return nil, fmt.Errorf("%w: configurable %q: image %s supports none", ErrInvalid, k, img.Name)
			}
			return nil, fmt.Errorf("%w: configurable %q: image %s supports only %s", ErrInvalid, k, img.Name, strings.Join(supported, ", "))
		}
	}
	if slices.Contains(supported, protocol.ConfigResolution) {
		res, ok := conf[protocol.ConfigResolution]
		if !ok || res == "" {
			res = DefaultResolution
		}
		w, h, err := parseResolution(res)
		if err != nil {
			return nil, err
		}
		env[protocol.EnvX11Width] = strconv.Itoa(w)
		env[protocol.EnvX11Height] = strconv.Itoa(h)
		env[protocol.EnvX11Depth] = DefaultDepth
	}
	if img.Declares(protocol.EnvStartupData) {
		// Set, empty when not given, as the original did: images test it
		// with ${STARTUPDATA} under `set -u`.
		env[protocol.EnvStartupData] = ""
	}
	if data, ok := conf[protocol.ConfigStartupData]; ok && data != "" {
		if !p.AllowStartupData {
			return nil, fmt.Errorf("%w: configurable startupdata: the policy of this grant does not allow startup data", ErrInvalid)
		}
		if err := checkStartupData(data); err != nil {
			return nil, err
		}
		env[protocol.EnvStartupData] = data
	}
	return env, nil
}

func parseResolution(s string) (int, int, error) {
	m := resolutionRE.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, fmt.Errorf("%w: resolution %q: want WIDTHxHEIGHT, e.g. 1280x800", ErrInvalid, s)
	}
	w, _ := strconv.Atoi(m[1])
	h, _ := strconv.Atoi(m[2])
	if w < MinWidth || w > MaxWidth || h < MinHeight || h > MaxHeight {
		return 0, 0, fmt.Errorf("%w: resolution %q: width must be %d to %d and height %d to %d", ErrInvalid, s, MinWidth, MaxWidth, MinHeight, MaxHeight)
	}
	return w, h, nil
}

func checkStartupData(s string) error {
	if len(s) > maxStartupData {
		return fmt.Errorf("%w: startupdata is %d bytes long, the limit is %d", ErrInvalid, len(s), maxStartupData)
	}
	for _, r := range s {
		if r == unicode.ReplacementChar || unicode.IsControl(r) {
			return fmt.Errorf("%w: startupdata %q contains a control character or invalid UTF-8", ErrInvalid, s)
		}
	}
	return nil
}
