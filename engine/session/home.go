package session

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

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
// /workspace (created when missing, owned by owner) and the policy's volume,
// checked on the host again now (a grant stored earlier, or a host changed
// since, is refused with the reason, never dropped).
func (m *Manager) mounts(user string, owner Owner, p accounting.Policy) ([]Mount, error) {
	var out []Mount
	if p.AllowHome {
		home, err := m.ensureHome(user, owner)
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
// owner when the appliance runs as root (else by the appliance's own user,
// which is then owner). A home owned by another uid (from a version that
// ran every session as uid 1000, or a user removed and created again) is
// given to owner, with everything in it. The homes directory above it is
// the appliance's own, mode 0700: an image may chmod its /workspace to
// 0777, and the home must not become writable by other host users.
func (m *Manager) ensureHome(user string, owner Owner) (string, error) {
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
		if os.Geteuid() == 0 {
			if err := m.giveHome(dir, user, owner); err != nil {
				return "", err
			}
		}
		return dir, nil
	case err != nil:
		return "", fmt.Errorf("creating the home of %s: %w", user, err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(dir, owner.UID, owner.GID); err != nil {
			_ = os.Remove(dir)
			return "", fmt.Errorf("giving the home of %s to %s: %w", user, owner, err)
		}
	}
	m.opts.Log.Info().Str("user", user).Str("home", dir).Str("owner", owner.String()).Msg("created a persistent home")
	return dir, nil
}

// giveHome gives an existing home and everything in it to owner, unless
// its top directory is owner's already. The top goes last, so that an
// interrupted change is done again at the next start. Every path is
// resolved inside the home (os.Root) and links are changed themselves,
// never followed: a session of the user that swaps a directory for a link
// meanwhile cannot make this change anything outside the home.
func (m *Manager) giveHome(dir, user string, owner Owner) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("giving the home of %s to %s: %w", user, owner, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == owner.UID && int(st.Gid) == owner.GID {
		return nil
	}
	if !fi.IsDir() {
		return fmt.Errorf("giving the home of %s to %s: %s is not a directory", user, owner, dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("giving the home of %s to %s: %w", user, owner, err)
	}
	defer root.Close()
	var n int
	err = fs.WalkDir(root.FS(), ".", func(path string, _ fs.DirEntry, err error) error {
		if err != nil || path == "." {
			return err
		}
		n++
		return root.Lchown(path, owner.UID, owner.GID)
	})
	if err == nil {
		err = root.Lchown(".", owner.UID, owner.GID)
	}
	if err != nil {
		return fmt.Errorf("giving the home of %s to %s: %w", user, owner, err)
	}
	m.opts.Log.Info().Str("user", user).Str("home", dir).Uint32("from_uid", st.Uid).Str("owner", owner.String()).
		Int("entries", n).Msg("gave an existing home to its user's session uid")
	return nil
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
