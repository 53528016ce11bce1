package admin_test

import (
	"os"
	"path/filepath"
	"testing"

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
