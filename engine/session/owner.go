package session

import (
	"context"
	"fmt"
	"os"
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
	return Owner{UID: uid, GID: uid}, nil
}
