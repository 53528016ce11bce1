package config

import (
	"encoding"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// EnvPrefix starts every environment variable the configuration reads.
const EnvPrefix = "SIMPHONY_REMOTE_"

// EnvConfigFile names the configuration file when --config is not given.
const EnvConfigFile = EnvPrefix + "CONFIG"

// EnvAdminPassword, when set, is the password of the first administrator
// that serve creates in an empty database (instead of a random one).
const EnvAdminPassword = EnvPrefix + "ADMIN_PASSWORD"

// otherEnv are SIMPHONY_REMOTE_ variables that are not configuration keys;
// any other unknown one is reported, to catch typos.
var otherEnv = []string{EnvConfigFile, EnvAdminPassword}

// Sources are where a configuration comes from, in increasing precedence
// after the defaults.
type Sources struct {
	// File is a TOML file; empty for none.
	File string
	// Env looks up environment variables; nil means no environment.
	Env []string
	// Flags maps keys ("listen", "data_dir") to values given on the command
	// line, with the flag's name for messages.
	Flags []Flag
}

// Flag is a value given on the command line for a configuration key.
type Flag struct {
	Name  string // e.g. "--listen"
	Key   string // e.g. "listen"
	Value string
}

// Loaded is a validated configuration and where each value came from.
type Loaded struct {
	Config
	// Origin maps each key set by a source to that source: the file's
	// path, "environment SIMPHONY_REMOTE_…" or "flag --…". Defaults are
	// absent.
	Origin map[string]string
}

// Error is a configuration error: which key, from where, and why.
type Error struct {
	Key    string
	Source string // "" for a default
	Msg    string
}

func (e *Error) Error() string {
	src := e.Source
	if src == "" {
		src = "default"
	}
	if e.Key == "" {
		return fmt.Sprintf("configuration (%s): %s", src, e.Msg)
	}
	return fmt.Sprintf("configuration key %s (%s): %s", e.Key, src, e.Msg)
}

// Load builds the configuration from the defaults and the given sources,
// then validates it.
func Load(src Sources) (*Loaded, error) {
	l := &Loaded{Config: Default(), Origin: map[string]string{}}
	fields := leaves(&l.Config)

	if src.File != "" {
		if err := l.loadFile(src.File); err != nil {
			return nil, err
		}
	}
	for _, kv := range src.Env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) || slices.Contains(otherEnv, name) {
			continue
		}
		key := envKey(name, fields)
		source := "environment " + name
		if msg, ok := removedEnv(name); ok {
			return nil, &Error{Source: source, Msg: msg}
		}
		if key == "" {
			return nil, &Error{Source: source, Msg: fmt.Sprintf("unknown variable; known: %s", strings.Join(envNames(fields), ", "))}
		}
		if err := setString(fields[key], value); err != nil {
			return nil, &Error{Key: key, Source: source, Msg: err.Error()}
		}
		l.Origin[key] = source
	}
	for _, f := range src.Flags {
		field, ok := fields[f.Key]
		if !ok {
			return nil, fmt.Errorf("internal error: flag %s sets unknown key %s", f.Name, f.Key)
		}
		source := "flag " + f.Name
		if err := setString(field, f.Value); err != nil {
			return nil, &Error{Key: f.Key, Source: source, Msg: err.Error()}
		}
		l.Origin[f.Key] = source
	}
	if err := l.validate(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Loaded) loadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return &Error{Source: path, Msg: fmt.Sprintf("cannot read the file: %v", errors.Unwrap(err))}
	}
	md, err := toml.Decode(string(data), &l.Config)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			msg := perr.Message
			if perr.LastKey != "" {
				return &Error{Key: perr.LastKey, Source: fmt.Sprintf("%s line %d", path, perr.Position.Line), Msg: msg}
			}
			return &Error{Source: fmt.Sprintf("%s line %d", path, perr.Position.Line), Msg: msg}
		}
		return &Error{Source: path, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
	}
	if un := md.Undecoded(); len(un) > 0 {
		keys := make([]string, len(un))
		for i, k := range un {
			keys[i] = k.String()
			if msg, ok := removedKeys[keys[i]]; ok {
				return &Error{Key: keys[i], Source: path, Msg: msg}
			}
		}
		return &Error{Key: keys[0], Source: path, Msg: fmt.Sprintf("unknown key (unknown keys: %s)", strings.Join(keys, ", "))}
	}
	for _, k := range md.Keys() {
		l.Origin[k.String()] = path
	}
	return nil
}

// leaves maps every key ("docker.tls_ca") to its settable field.
func leaves(c *Config) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		t := v.Type()
		for i := range t.NumField() {
			tag := t.Field(i).Tag.Get("toml")
			if tag == "" || tag == "-" {
				continue
			}
			f := v.Field(i)
			key := prefix + tag
			if f.Kind() == reflect.Struct && !f.Addr().Type().Implements(textUnmarshaler) {
				walk(f, key+".")
				continue
			}
			out[key] = f
		}
	}
	walk(reflect.ValueOf(c).Elem(), "")
	return out
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// Keys lists every configuration key, sorted.
func Keys() []string {
	c := Default()
	keys := make([]string, 0)
	for k := range leaves(&c) {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// EnvName is the environment variable of a key.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

func envKey(name string, fields map[string]reflect.Value) string {
	for k := range fields {
		if EnvName(k) == name {
			return k
		}
	}
	return ""
}

func envNames(fields map[string]reflect.Value) []string {
	var names []string
	for k := range fields {
		names = append(names, EnvName(k))
	}
	sort.Strings(names)
	return names
}

// setString parses s into the field according to its type.
func setString(f reflect.Value, s string) error {
	if u, ok := f.Addr().Interface().(encoding.TextUnmarshaler); ok {
		return u.UnmarshalText([]byte(s))
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not a boolean (true or false)", s)
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		f.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		f.SetFloat(n)
	case reflect.Slice:
		items := []string{}
		for _, it := range strings.Split(s, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		f.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("internal error: cannot set a %s from text", f.Type())
	}
	return nil
}
