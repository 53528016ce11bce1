package session

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"strconv"
)

// Owner is the uid and gid a user's sessions run as and their home
// belongs to.
type Owner struct{ UID, GID int }

// String formats o as UID:GID, Docker's --user.
func (o Owner) String() string { return fmt.Sprintf("%d:%d", o.UID, o.GID) }

// owner returns the uid and gid of user's sessions: the user's own session
// uid from the accounting store (and a gid of the same number), so that no
// other user, local account or session of another user shares them. An
// appliance not running as root cannot give homes away: its sessions run
// as its own uid and gid, for everybody (said once in the log).
func (m *Manager) owner(ctx context.Context, user string) (Owner, error) {
	if os.Geteuid() != 0 {
		m.notRoot.Do(func() {
			m.opts.Log.Warn().Int("uid", os.Getuid()).Msg("not running as root: every session runs as the appliance's own uid, not one uid per user")
		})
		return Owner{UID: os.Getuid(), GID: os.Getgid()}, nil
	}
	uid, err := m.accounts.SessionUID(ctx, user, m.opts.UIDs)
	if err != nil {
		return Owner{}, err
	}
	// A host account with the same uid could read the session's key from
	// /proc and use its port: sessions.uid_range must stay clear of the
	// host's accounts (those of a directory service such as SSSD too).
	if name, ok := hostAccount(uid); ok {
		return Owner{}, fmt.Errorf("the session uid %d of %s belongs to the host account %s: move sessions.uid_range clear of the host's accounts", uid, user, name)
	}
	return Owner{UID: uid, GID: uid}, nil
}

// hostAccount returns the name of the host account (or group) with id, if
// one exists.
var hostAccount = func(id int) (string, bool) {
	if u, err := user.LookupId(strconv.Itoa(id)); err == nil {
		return "user " + u.Username, true
	}
	if g, err := user.LookupGroupId(strconv.Itoa(id)); err == nil {
		return "group " + g.Name, true
	}
	return "", false
}
