package session_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
)

// owner returns the uid and gid that own path (not following links).
func owner(t *testing.T, path string) (int, int) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid)
}

// procUIDs returns the real, effective, saved and file system uids of a
// host process, from /proc/PID/status.
func procUIDs(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			return strings.Join(strings.Fields(rest), " ")
		}
	}
	t.Fatalf("no Uid line in /proc/%d/status", pid)
	return ""
}

// TestSessionsRunAsTheirUsersUIDs: each user's container runs as the
// user's own uid from the configured range (not the image's USER 1000,
// nor root), different users get different uids, the home belongs to it
// (an old home owned by 1000 is given to it, links not followed), and the
// uid and the session's key survive a restart of the appliance.
func TestSessionsRunAsTheirUsersUIDs(t *testing.T) {
	dockertest.RequireRoot(t, "as the appliance does to give homes to their users' uids")
	h := newHarness(t)
	img := dockertest.TestAppImage(t, h.dc, "uids-"+h.realm, nil)
	ids := map[string]string{}
	for _, u := range []string{"alice", "bob", "carol"} {
		ids[u] = h.grant(u, img, accounting.Policy{AllowHome: true})
	}

	// carol's home is from a version that ran every session as 1000: a
	// file, a directory and a link to a file outside the home.
	home := func(u string) string { return filepath.Join(h.data, "homes", u) }
	outside := filepath.Join(t.TempDir(), "outside.txt")
	for _, p := range []string{home("carol"), filepath.Join(home("carol"), "sub")} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{filepath.Join(home("carol"), "sub", "data.txt"), outside} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(home("carol"), "link")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{home("carol"), filepath.Join(home("carol"), "sub"), filepath.Join(home("carol"), "sub", "data.txt"), outside, filepath.Join(home("carol"), "link")} {
		if err := os.Lchown(p, 1000, 1000); err != nil {
			t.Fatal(err)
		}
	}

	started := map[string]routes.Route{}
	uids := map[int]string{}
	for _, u := range []string{"alice", "bob", "carol"} {
		r, err := h.mgr.Start(t.Context(), u, ids[u], nil)
		if err != nil {
			t.Fatal(err)
		}
		started[u] = r.Route
		uid, err := h.store.SessionUID(t.Context(), u, h.opts.UIDs)
		if err != nil {
			t.Fatal(err)
		}
		if !h.opts.UIDs.Contains(uid) {
			t.Errorf("%s's uid %d is outside %s", u, uid, h.opts.UIDs)
		}
		if other, ok := uids[uid]; ok {
			t.Errorf("%s and %s both run as uid %d", u, other, uid)
		}
		uids[uid] = u

		info, err := h.dc.API().ContainerInspect(t.Context(), r.ContainerID)
		if err != nil {
			t.Fatal(err)
		}
		want := strconv.Itoa(uid)
		if info.Config.User != want+":"+want {
			t.Errorf("%s's container has user %q, want %s:%s", u, info.Config.User, want, want)
		}
		// The container's first process, seen from the host.
		if got := procUIDs(t, info.State.Pid); got != strings.Repeat(want+" ", 3)+want {
			t.Errorf("%s's container process runs with uids %q, want %s", u, got, want)
		}
		if rep := fetchReport(t, r.Route); rep.UID != uid {
			t.Errorf("%s's application runs as uid %d, want %d", u, rep.UID, uid)
		}
		if ou, og := owner(t, home(u)); ou != uid || og != uid {
			t.Errorf("%s's home is owned by %d:%d, want %d:%d", u, ou, og, uid, uid)
		}
		if r.SessionKey == "" || len(r.SessionKey) != 64 {
			t.Errorf("%s's session key is %q", u, r.SessionKey)
		}
		var key string
		for _, kv := range info.Config.Env {
			if v, ok := strings.CutPrefix(kv, protocol.EnvSessionKey+"="); ok {
				key = v
			}
		}
		if key != r.SessionKey {
			t.Errorf("%s's container has the key %q, the route %q", u, key, r.SessionKey)
		}
		if _, ok := info.Config.Labels[protocol.EnvSessionKey]; ok {
			t.Error("the session key is in a label")
		}
	}
	if started["alice"].SessionKey == started["bob"].SessionKey {
		t.Error("two sessions have the same key")
	}

	// carol's old home and all in it went to her uid; the file the link
	// points to did not.
	carol, _ := h.store.SessionUID(t.Context(), "carol", h.opts.UIDs)
	for _, p := range []string{"sub", "sub/data.txt", "link"} {
		if ou, _ := owner(t, filepath.Join(home("carol"), p)); ou != carol {
			t.Errorf("carol's %s is owned by %d, want %d", p, ou, carol)
		}
	}
	if ou, _ := owner(t, outside); ou != 1000 {
		t.Errorf("the file outside carol's home, behind a link, went to %d", ou)
	}
	if code, body := get(t, "http://"+started["carol"].Upstream+started["carol"].URLPath+"write?name=new.txt&data=y"); code != 200 {
		t.Errorf("carol cannot write in her migrated home: %d %s", code, body)
	}

	// The appliance restarts: the database is opened again and a fresh
	// manager finds the sessions, with their keys, from Docker.
	path := h.store.Path()
	if err := h.store.Close(); err != nil {
		t.Fatal(err)
	}
	store, err := boltdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	h.store = store
	fresh := session.New(store, h.rt, routes.New(), h.opts)
	if err := fresh.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	r, ok := fresh.Get(started["alice"].URLID)
	if !ok || r.SessionKey != started["alice"].SessionKey {
		t.Fatalf("after a restart alice's route is %+v (found %v); want the key %q back", r, ok, started["alice"].SessionKey)
	}
	aliceUID, _ := store.SessionUID(t.Context(), "alice", h.opts.UIDs)
	if err := fresh.Stop(t.Context(), "alice", r.URLID); err != nil {
		t.Fatal(err)
	}
	again, err := fresh.Start(t.Context(), "alice", ids["alice"], nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep := fetchReport(t, again.Route); rep.UID != aliceUID || uids[aliceUID] != "alice" {
		t.Errorf("after a restart alice runs as %d, want %d as before", rep.UID, aliceUID)
	}
	if again.SessionKey == started["alice"].SessionKey {
		t.Error("a new session reuses the old key")
	}
}

// TestRunAsRoot: an application an administrator marked run-as-root
// starts as its image's own user; unmarked, the same image runs as the
// session owner's uid.
func TestRunAsRoot(t *testing.T) {
	h := newHarness(t)
	img := dockertest.TestAppImage(t, h.dc, "root-"+h.realm, nil) // USER 1000:1000
	id := h.grant("dave", img, accounting.Policy{})
	r, err := h.mgr.Start(t.Context(), "dave", id, nil)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := h.store.SessionUID(t.Context(), "dave", h.opts.UIDs)
	if rep := fetchReport(t, r.Route); rep.UID != uid {
		t.Errorf("unmarked: runs as %d, want dave's %d", rep.UID, uid)
	}
	if err := h.mgr.Stop(t.Context(), "dave", r.URLID); err != nil {
		t.Fatal(err)
	}
	if err := h.store.SetRunAsRoot(t.Context(), img, true); err != nil {
		t.Fatal(err)
	}
	r, err = h.mgr.Start(t.Context(), "dave", id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep := fetchReport(t, r.Route); rep.UID != 1000 {
		t.Errorf("marked run-as-root: runs as %d, want the image's own USER 1000", rep.UID)
	}
	info, err := h.dc.API().ContainerInspect(t.Context(), r.ContainerID)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.User != "1000:1000" || !strings.Contains(strings.Join(info.HostConfig.SecurityOpt, ","), "no-new-privileges") {
		t.Errorf("marked run-as-root: user %q, security options %v", info.Config.User, info.HostConfig.SecurityOpt)
	}
}
