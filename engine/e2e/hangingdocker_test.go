package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
)

// With a Docker Engine that accepts connections and never answers, the
// portal and the API still answer within a few seconds, with what they
// know, saying that Docker is not answering.
func TestHangingDocker(t *testing.T) {
	const image = "simphony-remote/desktop:latest"
	s := appliancetest.StartUnready(t, appliancetest.WithConfig(func(c *config.Config) {
		c.Docker.Host, _ = dockertest.Hanging(t)
		c.Docker.NetworkTimeout = config.Duration(5 * time.Second)
		c.DemoApplications = []string{image} // granted to admin, sharing allowed
	}))
	ctx := t.Context()
	store := s.App.Store()
	hash, err := auth.HashPassword("password-alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateUser(ctx, accounting.User{Name: "alice", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	grants, err := store.Grants(ctx, "admin")
	if err != nil || len(grants) != 1 {
		t.Fatalf("admin's grants: %v %v", grants, err)
	}
	if _, err := store.Grant(ctx, "alice", image, accounting.Policy{}); err != nil {
		t.Fatal(err)
	}
	// A session the appliance knew of before Docker stopped answering,
	// shared with alice.
	urlID := accounting.NewMappingID()
	s.App.Sessions().Routes().Put(routes.Route{
		URLID: urlID, User: "admin", MappingID: grants[0].MappingID, Image: image, ContainerID: "gone",
		Upstream: "127.0.0.1:9", URLPath: protocol.URLPath("admin", urlID), Started: time.Now(),
	})
	admin := tokenFor(t, s, "admin", s.AdminPassword)
	admin.json("POST", "/api/v1/containers/"+urlID+"/shares", map[string]string{"user": "alice", "mode": "view"}, http.StatusCreated, nil)
	adminBrowser := s.Login("admin", s.AdminPassword)
	aliceBrowser := s.Login("alice", "password-alice")
	alice := tokenFor(t, s, "alice", "password-alice")

	if resp := adminBrowser.Do("GET", "/readyz", nil, nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz without Docker: %d %s, want 503", resp.StatusCode, appliancetest.ReadBody(resp))
	} else {
		resp.Body.Close()
	}

	const limit = 4 * time.Second
	timed := func(what string, f func()) {
		t.Helper()
		began := time.Now()
		f()
		if took := time.Since(began); took > limit {
			t.Errorf("%s took %s with Docker not answering", what, took)
		}
	}
	for range 2 { // the second time, the event follower is waiting for Docker too
		timed("admin's portal", func() {
			resp := adminBrowser.Do("GET", "/", nil, nil)
			body := appliancetest.ReadBody(resp)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Docker is not answering") || !strings.Contains(body, image) || !strings.Contains(body, urlID) {
				t.Errorf("admin's portal: %d, want the running application and the message that Docker is not answering:\n%s", resp.StatusCode, body)
			}
		})
		timed("alice's portal", func() {
			resp := aliceBrowser.Do("GET", "/", nil, nil)
			body := appliancetest.ReadBody(resp)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Docker is not answering") || !strings.Contains(body, "admin's session") {
				t.Errorf("alice's portal: %d, want the shared session and the message that Docker is not answering:\n%s", resp.StatusCode, body)
			}
		})
		timed("GET /api/v1/applications", func() {
			var apps []struct {
				Image struct {
					Name      string `json:"name"`
					Available bool   `json:"available"`
				} `json:"image"`
				Container *struct {
					URLID string `json:"url_id"`
				} `json:"container"`
				RunningKnown *bool `json:"running_known"`
			}
			admin.json("GET", "/api/v1/applications", nil, http.StatusOK, &apps)
			if len(apps) != 1 || apps[0].Image.Name != image || apps[0].Container == nil || apps[0].Container.URLID != urlID ||
				apps[0].RunningKnown == nil || *apps[0].RunningKnown {
				t.Errorf("applications: %+v, want the application, its session as last known, and running_known false", apps)
			}
		})
		timed("GET /api/v1/shared", func() {
			var shared []json.RawMessage
			alice.json("GET", "/api/v1/shared", nil, http.StatusOK, &shared)
			if len(shared) != 1 {
				t.Errorf("shared with alice: %s", shared)
			}
		})
		timed("the legacy applications", func() {
			// An administrator's is the list of registered images,
			// which needs no Docker.
			code, body, _ := admin.do("GET", "/user/admin/api/v1/applications/", nil)
			if code != http.StatusOK {
				t.Errorf("legacy applications: %d %s", code, body)
			}
			// A user's are their grants with their images, which the
			// legacy shape cannot show as unknown: an error, not a list
			// without them.
			code, body, _ = alice.do("GET", "/user/alice/api/v1/applications/", nil)
			if code != http.StatusServiceUnavailable || !strings.Contains(string(body), "unavailable") {
				t.Errorf("alice's legacy applications: %d %s; want 503", code, body)
			}
		})
	}
}
