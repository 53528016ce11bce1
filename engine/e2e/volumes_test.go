package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/volumes/volumestest"
)

// TestVolumes: the appliance checks a volume against [volumes]
// allowed_roots when the administrator grants it over the API (a refusal
// is a 400 naming the component and the reason) and again when the user
// starts it, so a host changed in between is refused too.
func TestVolumes(t *testing.T) {
	root := volumestest.Root(t)
	data := volumestest.Dir(t, root, "data")
	loose := volumestest.Dir(t, root, "loose")
	if err := os.Chmod(loose, 0o775); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(data, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	s := newSetup(t, appliancetest.WithConfig(func(c *config.Config) { c.Volumes.AllowedRoots = []string{root} }))
	admin := tokenFor(t, s.Server, "admin", s.AdminPassword)
	alice := tokenFor(t, s.Server, "alice", "password-alice")
	grant := func(source, target string) wire.CreateGrant {
		return wire.CreateGrant{User: "alice", Image: s.image,
			Policy: accounting.Policy{Volume: accounting.Volume{Source: source, Target: target, Mode: "ro"}}}
	}

	refused := map[string]wire.CreateGrant{
		loose + " is writable by group":                             grant(loose, "/data"),
		filepath.Join(root, "link") + " is a symbolic link":         grant(filepath.Join(root, "link"), "/data"),
		"/etc is not under an allowed root (" + root + ")":          grant("/etc", "/data"),
		s.Config.DataDir + " is not under an allowed root":          grant(s.Config.DataDir, "/data"),
		"target /proc is a kernel file system":                      grant(data, "/proc"),
		"target /dev/shm is inside /dev, a kernel file system that": grant(data, "/dev/shm"),
	}
	for want, g := range refused {
		code, body, _ := admin.do("POST", "/api/v1/admin/grants", g)
		var e wire.Error
		if err := json.Unmarshal(body, &e); err != nil || code != http.StatusBadRequest || e.Type != "invalid" || !strings.Contains(e.Message, want) {
			t.Errorf("grant %s: %d %s, want 400 invalid containing %q", g.Policy.Volume, code, body, want)
		}
	}

	var id wire.MappingID
	admin.json("POST", "/api/v1/admin/grants", grant(data, "/data"), http.StatusCreated, &id)
	var c wire.Container
	alice.json("POST", "/api/v1/containers", wire.StartRequest{MappingID: id.MappingID}, http.StatusCreated, &c)
	r, ok := s.App.Sessions().Get(c.URLID)
	if !ok {
		t.Fatalf("session %s is not in the route table", c.URLID)
	}
	info, err := dockertest.Require(t).API().ContainerInspect(t.Context(), r.ContainerID)
	if err != nil {
		t.Fatal(err)
	}
	mounted := false
	for _, m := range info.Mounts {
		if m.Destination == "/data" {
			mounted = m.Source == data && !m.RW
		}
	}
	if !mounted {
		t.Errorf("mounts = %+v, want %s at /data, read-only", info.Mounts, data)
	}
	alice.json("DELETE", "/api/v1/containers/"+c.URLID, nil, http.StatusNoContent, nil)

	// The host changes after the grant: the next start says why it refuses.
	if err := os.Chmod(data, 0o777); err != nil {
		t.Fatal(err)
	}
	code, body, _ := alice.do("POST", "/api/v1/containers", wire.StartRequest{MappingID: id.MappingID})
	if want := data + " is writable by group"; code != http.StatusBadRequest || !strings.Contains(string(body), want) {
		t.Errorf("start after the host changed: %d %s, want 400 containing %q", code, body, want)
	}
}
