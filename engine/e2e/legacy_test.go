package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// legacyCall sends a request as simphony-remote's REST clients do: the
// token in the "token" scheme.
func legacyCall(t *testing.T, c caller, method, path string, body any) (int, []byte, http.Header) {
	t.Helper()
	c.scheme = "token"
	return c.do(method, path, body)
}

// TestLegacyAPI drives the legacy resources through the real appliance and
// a real container, in the shapes of simphony-remote's webapi: the
// application's mapping_id and null container, the container's Docker
// name, and the administrators' resources.
func TestLegacyAPI(t *testing.T) {
	s := newSetup(t)
	alice := tokenFor(t, s.Server, "alice", "password-alice")
	admin := tokenFor(t, s.Server, "admin", s.AdminPassword)
	decode := func(what string, code, want int, body []byte, into any) {
		t.Helper()
		if code != want {
			t.Fatalf("%s: %d, want %d: %s", what, code, want, body)
		}
		if into != nil {
			if err := json.Unmarshal(body, into); err != nil {
				t.Fatalf("%s: %v: %s", what, err, body)
			}
		}
	}
	// Not running: the application names its mapping, its container is
	// null (present, not left out).
	var apps struct {
		Identifiers []string                              `json:"identifiers"`
		Items       map[string]map[string]json.RawMessage `json:"items"`
	}
	code, body, _ := legacyCall(t, alice, "GET", "/user/alice/api/v1/applications/", nil)
	decode("applications", code, 200, body, &apps)
	a, ok := apps.Items[s.aliceID]
	if container, present := a["container"]; !ok || string(a["mapping_id"]) != `"`+s.aliceID+`"` || !present || string(container) != "null" ||
		!strings.Contains(string(a["image"]), `"name":"`+s.image+`"`) {
		t.Fatalf("the application before a start: %s", body)
	}

	code, body, hdr := legacyCall(t, alice, "POST", "/user/alice/api/v1/containers/", map[string]any{"mapping_id": s.aliceID})
	decode("start", code, 201, body, nil)
	loc := hdr.Get("Location")
	urlID := strings.TrimSuffix(strings.TrimPrefix(loc, "/user/alice/api/v1/containers/"), "/")
	rt, ok := s.App.Sessions().Get(urlID)
	if !ok {
		t.Fatalf("no session behind %q", loc)
	}
	info, err := s.App.Docker().API().ContainerInspect(t.Context(), rt.ContainerID)
	if err != nil {
		t.Fatal(err)
	}
	dockerName := strings.TrimPrefix(info.Name, "/")

	// Running: the container's name is Docker's name for it.
	var one struct {
		MappingID string `json:"mapping_id"`
		Container *struct {
			Name string `json:"name"`
		} `json:"container"`
	}
	code, body, _ = legacyCall(t, alice, "GET", "/user/alice/api/v1/applications/"+s.aliceID+"/", nil)
	decode("the application", code, 200, body, &one)
	if one.MappingID != s.aliceID || one.Container == nil || one.Container.Name != dockerName || !strings.Contains(string(body), `"url_id":"`+urlID+`"`) {
		t.Errorf("the running application: %s, want the container named %s", body, dockerName)
	}
	var c struct {
		Name      string `json:"name"`
		ImageName string `json:"image_name"`
		MappingID string `json:"mapping_id"`
	}
	code, body, _ = legacyCall(t, alice, "GET", loc, nil)
	decode("the container", code, 200, body, &c)
	if c.Name != dockerName || c.ImageName != s.image || c.MappingID != s.aliceID {
		t.Errorf("the container: %s, want the name %s", body, dockerName)
	}

	// After a restart the session is found again from its container, name
	// included, before the appliance serves.
	s.Restart()
	code, body, _ = legacyCall(t, alice, "GET", loc, nil)
	decode("the container after a restart", code, 200, body, &c)
	if c.Name != dockerName {
		t.Errorf("the container after a restart: %s, want the name %s", body, dockerName)
	}

	// Administrators: every container, in the admin shape, and stop any.
	var all struct {
		Items map[string]struct {
			Name     string `json:"name"`
			DockerID string `json:"docker_id"`
			ImageID  string `json:"image_id"`
			User     string `json:"user"`
			Realm    string `json:"realm"`
		} `json:"items"`
	}
	code, body, _ = legacyCall(t, admin, "GET", "/user/admin/api/v1/containers/", nil)
	decode("admin: containers", code, 200, body, &all)
	got := all.Items[urlID]
	if got.Name != dockerName || got.DockerID != rt.ContainerID || got.User != "alice" || got.Realm != s.Config.Realm || got.ImageID != info.Image {
		t.Errorf("admin: alice's container: %+v in %s", got, body)
	}
	var appsAdmin struct {
		Items map[string]struct {
			ImageName string `json:"image_name"`
		} `json:"items"`
	}
	code, body, _ = legacyCall(t, admin, "GET", "/user/admin/api/v1/applications/", nil)
	decode("admin: applications", code, 200, body, &appsAdmin)
	if appsAdmin.Items[s.image].ImageName != s.image {
		t.Errorf("admin: applications: %s", body)
	}
	if code, body, _ := legacyCall(t, alice, "DELETE", "/user/alice/api/v1/containers/"+strings.Repeat("0", 32)+"/", nil); code != 404 {
		t.Errorf("alice stopping a session that is not hers: %d %s", code, body)
	}
	code, body, _ = legacyCall(t, admin, "DELETE", "/user/admin/api/v1/containers/"+urlID+"/", nil)
	decode("admin: stopping alice's container", code, 204, body, nil)
	if _, ok := s.App.Sessions().Get(urlID); ok {
		t.Error("alice's session still runs after an administrator stopped it")
	}
}
