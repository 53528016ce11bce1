package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestApplicationsOwnAuthorization: on a session path the appliance takes
// only its own credentials. An application's own Authorization header (a
// Jupyter-style "token …") reaches the application, with the caller known
// by the cookie; a header carrying one of the appliance's API tokens
// identifies the caller and stops at the proxy, in either spelling.
func TestApplicationsOwnAuthorization(t *testing.T) {
	s := newSetup(t)
	alice := s.Login("alice", "password-alice")
	path := s.start(t, alice, s.aliceID)
	api := tokenFor(t, s.Server, "alice", "password-alice")

	seen := func(t *testing.T, resp *http.Response) report {
		t.Helper()
		defer resp.Body.Close()
		var rep report
		if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("proxied GET: %d, %v", resp.StatusCode, err)
		}
		if got := rep.Headers["X-Remote-User"]; len(got) != 1 || got[0] != "alice" {
			t.Errorf("X-Remote-User = %q, want alice", got)
		}
		return rep
	}

	// The application's own header, with the browser's cookie.
	for _, own := range []string{"token 5f0e1c2d3b4a69788796a5b4c3d2e1f0", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"} {
		rep := seen(t, alice.Do("GET", path, nil, http.Header{"Authorization": {own}, "Accept": {"application/json"}}))
		if got := rep.Headers["Authorization"]; len(got) != 1 || got[0] != own {
			t.Errorf("the application received Authorization %q, want its own %q", got, own)
		}
	}

	// The appliance's own token, without a cookie: it identifies alice
	// and never reaches the application.
	hc := s.Client()
	for _, scheme := range []string{"Bearer", "token"} {
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		req.Header.Set("Authorization", scheme+" "+api.token)
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rep := seen(t, resp)
		if got := rep.Headers["Authorization"]; len(got) != 0 {
			t.Errorf("the appliance's token (%s) reached the application: %q", scheme, got)
		}
		for k, vs := range rep.Headers {
			if strings.Contains(strings.Join(vs, " "), api.token) {
				t.Errorf("the appliance's token reached the application in %s", k)
			}
		}
	}

	// An application's own header alone identifies nobody.
	req, _ := http.NewRequest("GET", s.URL+path, nil)
	req.Header.Set("Authorization", "token 5f0e1c2d3b4a69788796a5b4c3d2e1f0")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an application's token without a cookie: %d, want 401", resp.StatusCode)
	}
}
