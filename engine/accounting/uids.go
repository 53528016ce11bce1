package accounting

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// UIDRange is the range of UIDs (each also the GID of a group of its own)
// that users' sessions run as, First to Last included. Every user is given
// one UID of the range the first time they start a session, for good.
type UIDRange struct{ First, Last int }

// Size is how many UIDs the range holds.
func (r UIDRange) Size() int { return r.Last - r.First + 1 }

// Contains reports whether uid lies in the range.
func (r UIDRange) Contains(uid int) bool { return uid >= r.First && uid <= r.Last }

// String formats r as FIRST-LAST, the form ParseUIDRange reads.
func (r UIDRange) String() string { return fmt.Sprintf("%d-%d", r.First, r.Last) }

// DefaultUIDRange is sessions.uid_range's default: 100,000 uids far above
// the host's own accounts (system and ordinary users, 0–60000), above the
// subordinate ranges that useradd gives for rootless containers (from
// 100000 up to 600100000 by default), and below 2^31.
var DefaultUIDRange = UIDRange{First: 1_900_000_000, Last: 1_900_099_999}

// MinSessionUID and MaxSessionUID bound session UIDs: above the host's
// system and ordinary accounts (1000–60000 by default) and the 16-bit ids,
// below 2^31 (which some tools and file systems mishandle).
const (
	MinSessionUID = 65536
	MaxSessionUID = 1<<31 - 2
)

// ParseUIDRange reads FIRST-LAST.
func ParseUIDRange(s string) (UIDRange, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	first, err1 := strconv.Atoi(strings.TrimSpace(a))
	last, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return UIDRange{}, fmt.Errorf("%w: uid range %q: want FIRST-LAST, e.g. \"1900000000-1900099999\"", ErrInvalid, s)
	}
	r := UIDRange{First: first, Last: last}
	switch {
	case first > last:
		return UIDRange{}, fmt.Errorf("%w: uid range %q: the first uid is above the last", ErrInvalid, s)
	case first < MinSessionUID || last > MaxSessionUID:
		return UIDRange{}, fmt.Errorf("%w: uid range %q: must lie within %d-%d, apart from the host's accounts", ErrInvalid, s, MinSessionUID, MaxSessionUID)
	}
	return r, nil
}

// MarshalText formats the range for configuration files.
func (r UIDRange) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText parses FIRST-LAST.
func (r *UIDRange) UnmarshalText(b []byte) error {
	v, err := ParseUIDRange(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// ErrNoUID means that every UID of the range was given to a user already.
// It is the administrator's to fix, not the user's: no ErrInvalid.
var ErrNoUID = errors.New("no session uid left")
