package csvfile

import (
	"errors"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
)

func TestSessionUID(t *testing.T) {
	ctx := t.Context()
	const head = "user.name,application.image,policy.allow_home,policy.allow_view,policy.allow_common,policy.volume_source,policy.volume_target,policy.volume_mode,policy.app_license,policy.allow_startup_data\n"
	csv := head
	for _, u := range []string{"alice", "bob", "carol", "dave", "erin"} {
		csv += u + ",img,1,0,0,,,,,0\n"
	}
	s, err := Parse(strings.NewReader(csv), "test.csv")
	if err != nil {
		t.Fatal(err)
	}
	// A range of 5 for 5 users: collisions are certain, uids must still
	// be unique, and the same at each call (and each load).
	r := accounting.UIDRange{First: 400000, Last: 400004}
	again, err := Parse(strings.NewReader(csv), "test.csv")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]string{}
	for _, u := range []string{"alice", "bob", "carol", "dave", "erin"} {
		uid, err := s.SessionUID(ctx, u, r)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Contains(uid) {
			t.Errorf("%s got %d, outside %s", u, uid, r)
		}
		if other, ok := seen[uid]; ok {
			t.Errorf("%s and %s both got %d", u, other, uid)
		}
		seen[uid] = u
		if uid2, _ := again.SessionUID(ctx, u, r); uid2 != uid {
			t.Errorf("%s got %d, then %d from the same file", u, uid, uid2)
		}
	}
	if _, err := s.SessionUID(ctx, "alice", accounting.UIDRange{First: 400000, Last: 400003}); !errors.Is(err, accounting.ErrNoUID) {
		t.Errorf("5 users in a range of 4: %v; want ErrNoUID", err)
	}
	if _, err := s.SessionUID(ctx, "zoe", r); !errors.Is(err, accounting.ErrNotFound) {
		t.Errorf("an unknown user: %v; want ErrNotFound", err)
	}
}
