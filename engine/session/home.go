package session

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/protocol"
)

// WorkspaceDir is where a session's persistent home is mounted.
const WorkspaceDir = "/workspace"

// VolumeChecker checks a volume's source on the host; *volumes.Checker is
// one.
type VolumeChecker interface {
	Check(v accounting.Volume) error
}

// mounts returns the binds a policy asks for: the user's home at
// /workspace (created when missing) and the policy's volume, checked on
// the host again now (a grant stored earlier, or a host changed since, is
// refused with the reason, never dropped).
func (m *Manager) mounts(user string, p accounting.Policy) ([]Mount, error) {
	var out []Mount
	if p.AllowHome {
		home, err := m.ensureHome(user)
		if err != nil {
			return nil, err
		}
		out = append(out, Mount{Source: home, Target: WorkspaceDir})
	}
	if v := p.Volume; !v.IsZero() {
		if err := m.opts.Volumes.Check(v); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrVolume, err)
		}
		// Docker gets the path that was checked, as it is, never a
		// resolved one: no component is a symbolic link and only root can
		// change any, so it still names the checked directory when Docker
		// mounts it (the argument is in package volumes).
		out = append(out, Mount{Source: filepath.Clean(v.Source), Target: filepath.Clean(v.Target), ReadOnly: v.Mode == "ro"})
	}
	return out, nil
}

// HomeDir is the persistent home of a user.
func (m *Manager) HomeDir(user string) string {
	return filepath.Join(m.opts.HomesDir, protocol.Escape(user))
}

// ensureHome creates the user's home when missing, mode 0700, owned by
// HomeUID:HomeGID when the appliance runs as root (else by the appliance's
// own user). An existing home is left as it is. The homes directory above
// it is the appliance's own, mode 0700: an image may chmod its /workspace
// to 0777, and the home must not become writable by other host users.
func (m *Manager) ensureHome(user string) (string, error) {
	dir, err := filepath.Abs(m.HomeDir(user))
	if err != nil {
		return "", err
	}
	if err := ensurePrivateDir(filepath.Dir(dir)); err != nil {
		return "", fmt.Errorf("creating the homes directory: %w", err)
	}
	err = os.Mkdir(dir, 0o700)
	switch {
	case errors.Is(err, fs.ErrExist):
		return dir, nil
	case err != nil:
		return "", fmt.Errorf("creating the home of %s: %w", user, err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(dir, m.opts.HomeUID, m.opts.HomeGID); err != nil {
			_ = os.Remove(dir)
			return "", fmt.Errorf("giving the home of %s to %d:%d: %w", user, m.opts.HomeUID, m.opts.HomeGID, err)
		}
	}
	m.opts.Log.Info().Str("user", user).Str("home", dir).Msg("created a persistent home")
	return dir, nil
}

// ensurePrivateDir creates dir (and its parents) when missing and makes it
// mode 0700: an existing, looser directory (from an older version) is
// tightened.
func ensurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if fi.Mode().Perm() != 0o700 {
		return os.Chmod(dir, 0o700)
	}
	return nil
}
