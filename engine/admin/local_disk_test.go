package admin_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
)

// The disk use of a data directory reached through a symbolic link (an
// appliance whose data sits on another disk) is that directory's; a link
// inside it (a user's home linking elsewhere) is not followed.
func TestStatsDiskUseThroughALink(t *testing.T) {
	real, outside := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(real, "homes", "alice"), 0o750); err != nil {
		t.Fatal(err)
	}
	for name, size := range map[string]int{
		filepath.Join(real, "simphony-remote.db"):          1000,
		filepath.Join(real, "homes", "alice", "notes.txt"): 300,
		filepath.Join(outside, "big"):                      5000,
	} {
		if err := os.WriteFile(name, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(real, "homes", "alice", "elsewhere")); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	if err := os.Symlink(real, data); err != nil {
		t.Fatal(err)
	}
	l := admin.NewLocal(newStore(t), admin.Options{DataDir: data, HomesDir: filepath.Join(data, "homes")})
	st, err := l.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.DataBytes != 1300 || st.HomesBytes != 300 {
		t.Errorf("disk use: data %d, homes %d bytes; want 1300, 300", st.DataBytes, st.HomesBytes)
	}
}

// A request that went away (a page left while its poll ran) measures
// nothing for the next ones: the disk use is not "unknown" for a minute.
func TestStatsDiskUseAfterACancelledRequest(t *testing.T) {
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "simphony-remote.db"), make([]byte, 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	// The store answers whatever the context: the request goes away
	// while its disk is measured, the slow part.
	l := admin.NewLocal(ctxBlind{newStore(t)}, admin.Options{DataDir: data, HomesDir: filepath.Join(data, "homes")})
	gone, cancel := context.WithCancel(t.Context())
	cancel()
	_, _ = l.Stats(gone)
	st, err := l.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.DataBytes != 1000 {
		t.Errorf("disk use after a cancelled request: %d bytes, want 1000", st.DataBytes)
	}
}

// ctxBlind is a store that counts users and applications whatever the
// context says.
type ctxBlind struct{ accounting.Store }

func (s ctxBlind) Users(ctx context.Context) ([]accounting.User, error) {
	return s.Store.Users(context.WithoutCancel(ctx))
}

func (s ctxBlind) Applications(ctx context.Context) ([]accounting.Application, error) {
	return s.Store.Applications(context.WithoutCancel(ctx))
}
