package csvfile

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// SessionUID implements accounting.Store. The file cannot record a uid, so
// it is derived from the name: the FNV-1a hash of the name, modulo the
// range's size, from its start. Names whose uids collide take the next
// free ones, in the order of their names, so two users of the file never
// share one; a uid changes only when the range changes or a colliding name
// that sorts before it is added to the file (its home is then given to the
// new uid at the next start).
func (s *Store) SessionUID(ctx context.Context, user string, r accounting.UIDRange) (int, error) {
	if _, found := slices.BinarySearch(s.users, user); !found {
		return 0, fmt.Errorf("giving %s a session uid: user %w", user, accounting.ErrNotFound)
	}
	if len(s.users) > r.Size() {
		return 0, fmt.Errorf("giving %s a session uid: %w in %s for the file's %d users: widen sessions.uid_range", user, accounting.ErrNoUID, r, len(s.users))
	}
	taken := make(map[int]bool, len(s.users))
	for _, name := range s.users {
		uid := hashUID(name, r)
		for taken[uid] {
			uid++
			if uid > r.Last {
				uid = r.First
			}
		}
		if name == user {
			return uid, ctx.Err()
		}
		taken[uid] = true
	}
	panic("unreachable: the user was found above")
}

func hashUID(name string, r accounting.UIDRange) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return r.First + int(h.Sum64()%uint64(r.Size()))
}

// SetRunAsRoot implements accounting.Store: always ErrReadOnly (no
// application of a CSV file runs as root).
func (s *Store) SetRunAsRoot(_ context.Context, image string, _ bool) error {
	return s.readOnly("setting the run-as-root mark of " + image)
}
