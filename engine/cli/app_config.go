package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// clientConfig is what `app login` stores for the other app commands: the
// appliance, who signed in, and the API token.
type clientConfig struct {
	URL      string `json:"url"`
	User     string `json:"user"`
	Token    string `json:"token"`
	TokenID  string `json:"token_id"`
	CA       string `json:"ca,omitempty"` // an absolute path to a PEM file
	Insecure bool   `json:"insecure"`
}

// clientConfigFile is where it lives, under the user's configuration
// directory.
const clientConfigFile = "simphony-remote/client.json"

// getenv reads a variable of the command's environment.
func (e *env) getenv(name string) string {
	v := ""
	for _, kv := range e.environ {
		if val, ok := strings.CutPrefix(kv, name+"="); ok {
			v = val // the last one wins, as in the C library
		}
	}
	return v
}

// clientConfigPath is $XDG_CONFIG_HOME/simphony-remote/client.json, or
// ~/.config/simphony-remote/client.json when XDG_CONFIG_HOME is unset or
// relative (the XDG specification ignores relative paths).
func clientConfigPath(e *env) (string, error) {
	if dir := e.getenv("XDG_CONFIG_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, clientConfigFile), nil
	}
	home := e.getenv("HOME")
	if home == "" {
		return "", errors.New("finding where to keep the API token: neither $XDG_CONFIG_HOME nor $HOME is set")
	}
	return filepath.Join(home, ".config", clientConfigFile), nil
}

// credentialsPath is where the sign-in is kept: --credentials-file, else
// clientConfigPath.
func (a *appCmd) credentialsPath() (string, error) {
	if a.credFile == "" {
		return clientConfigPath(a.env)
	}
	p, err := filepath.Abs(a.credFile)
	if err != nil {
		return "", fmt.Errorf("--credentials-file %s: %w", a.credFile, err)
	}
	return p, nil
}

// errNotLoggedIn says that there is no stored token.
var errNotLoggedIn = errors.New("not logged in: run simphony-remote app login URL first")

// loadClientConfig reads the stored sign-in; errNotLoggedIn when there is
// none. warn receives a warning for a file others may read.
func (a *appCmd) loadClientConfig(warn func(string)) (clientConfig, string, error) {
	path, err := a.credentialsPath()
	if err != nil {
		return clientConfig{}, "", err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if a.credFile != "" {
			return clientConfig{}, path, fmt.Errorf("%w (no sign-in in %s: run simphony-remote app login URL --credentials-file %s)", errNotLoggedIn, path, a.credFile)
		}
		return clientConfig{}, path, errNotLoggedIn
	}
	if err != nil {
		return clientConfig{}, path, fmt.Errorf("reading the stored sign-in: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		warn(fmt.Sprintf("%s holds an API token and is readable by others (mode %04o); chmod 600 it", path, fi.Mode().Perm()))
	}
	var c clientConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return clientConfig{}, path, fmt.Errorf("reading the stored sign-in %s: %w; run simphony-remote app login URL again", path, err)
	}
	if c.URL == "" || c.Token == "" {
		return clientConfig{}, path, fmt.Errorf("the stored sign-in %s has no url or token; run simphony-remote app login URL again", path)
	}
	return c, path, nil
}

// saveClientConfig writes c to path atomically (a temporary file renamed
// over it), mode 0600. ownDir says the directory is the program's own
// (the default place): it is then made mode 0700; a directory chosen with
// --credentials-file is left as it is.
func saveClientConfig(path string, c clientConfig, ownDir bool) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("storing the API token: %w", err)
	}
	// The directory is ours: keep it private even if it existed.
	if ownDir {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("storing the API token: %w", err)
		}
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("storing the API token: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".client-*.json") // mode 0600
	if err != nil {
		return fmt.Errorf("storing the API token: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("storing the API token: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("storing the API token in %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("storing the API token in %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("storing the API token in %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("storing the API token in %s: %w", path, err)
	}
	done = true
	if d, err := os.Open(dir); err == nil { // make the rename durable
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
