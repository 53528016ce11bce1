package e2e

import (
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
	"github.com/simphony/simphony-remote/engine/config"
)

// hangingDocker is a Docker endpoint that accepts connections and never
// answers: a daemon that hangs. (A fake on purpose: the real one does not
// hang on demand.)
func hangingDocker(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "docker.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "unix://" + path
}

// With a Docker Engine that accepts connections and never answers, the
// portal and the applications API still answer within a few seconds, with
// what they know, saying that Docker is not answering.
func TestHangingDocker(t *testing.T) {
	const image = "simphony-remote/desktop:latest"
	s := appliancetest.StartUnready(t, appliancetest.WithConfig(func(c *config.Config) {
		c.Docker.Host = hangingDocker(t)
		c.Docker.NetworkTimeout = config.Duration(5 * time.Second)
		c.DemoApplications = []string{image}
	}))
	admin := s.Login("admin", s.AdminPassword)
	const limit = 4 * time.Second
	if resp := admin.Do("GET", "/readyz", nil, nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz without Docker: %d %s, want 503", resp.StatusCode, appliancetest.ReadBody(resp))
	} else {
		resp.Body.Close()
	}

	for range 2 { // the second time, the event follower is waiting for Docker too
		began := time.Now()
		resp := admin.Do("GET", "/", nil, nil)
		body := appliancetest.ReadBody(resp)
		if took := time.Since(began); took > limit {
			t.Errorf("the portal took %s", took)
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Docker is not answering") || !strings.Contains(body, image) {
			t.Errorf("portal: %d, want the application and the message that Docker is not answering:\n%s", resp.StatusCode, body)
		}

		began = time.Now()
		resp = admin.Do("GET", "/api/v1/applications", nil, http.Header{"Accept": {"application/json"}})
		var apps []struct {
			Image struct {
				Name      string `json:"name"`
				Available bool   `json:"available"`
			} `json:"image"`
			RunningKnown *bool `json:"running_known"`
		}
		err := json.NewDecoder(resp.Body).Decode(&apps)
		resp.Body.Close()
		if took := time.Since(began); took > limit {
			t.Errorf("GET /api/v1/applications took %s", took)
		}
		if err != nil || resp.StatusCode != http.StatusOK || len(apps) != 1 || apps[0].Image.Name != image ||
			apps[0].RunningKnown == nil || *apps[0].RunningKnown {
			t.Errorf("applications: %d %v %+v, want the application with running_known false", resp.StatusCode, err, apps)
		}
	}
}
