package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
)

// TestSetLimitsChangesOnlyTheNamed: a change of one limit keeps the others,
// in process, through the client, and on the admin API's JSON.
func TestSetLimitsChangesOnlyTheNamed(t *testing.T) {
	gib := int64(1 << 30)
	start := accounting.Limits{Memory: 512 << 20, CPUs: 2, Pids: 100}
	for _, through := range []string{"local", "client"} {
		t.Run(through, func(t *testing.T) {
			ctx := t.Context()
			l, _, _, _ := newLocal(t)
			var svc admin.Service = l
			sock := serveSocket(t, l)
			if through == "client" {
				svc = admin.DialSocket(sock)
			}
			if _, err := svc.CreateApplication(ctx, admin.NewApplication{Image: "lab/tool", Limits: start}); err != nil {
				t.Fatal(err)
			}
			steps := []struct {
				image string
				c     admin.LimitsChange
				want  accounting.Limits
			}{
				{"lab/tool", admin.LimitsChange{Memory: &gib}, accounting.Limits{Memory: gib, CPUs: 2, Pids: 100}},
				{"lab/tool:latest", admin.LimitsChange{Pids: ptr(int64(0))}, accounting.Limits{Memory: gib, CPUs: 2}},
				{"docker.io/lab/tool", admin.LimitsChange{CPUs: ptr(0.5), Pids: ptr(int64(7))}, accounting.Limits{Memory: gib, CPUs: 0.5, Pids: 7}},
				{"lab/tool", admin.LimitsChange{}, accounting.Limits{Memory: gib, CPUs: 0.5, Pids: 7}},
				{"lab/tool", admin.AllLimits(accounting.Limits{}), accounting.Limits{}},
			}
			for i, s := range steps {
				app, err := svc.SetLimits(ctx, s.image, s.c)
				if err != nil || app.Image != "lab/tool" || app.Limits != s.want {
					t.Fatalf("step %d: SetLimits(%s) = %+v, %v; want %+v", i, s.image, app, err, s.want)
				}
				if got, _ := svc.Application(ctx, "lab/tool"); got.Limits != s.want {
					t.Fatalf("step %d: stored limits %+v, want %+v", i, got.Limits, s.want)
				}
			}
			// A bad value changes nothing, whatever else is named.
			if _, err := svc.SetLimits(ctx, "lab/tool", admin.LimitsChange{Memory: &gib, CPUs: ptr(-1.0)}); !errors.Is(err, accounting.ErrInvalid) {
				t.Errorf("negative cpus: %v, want ErrInvalid", err)
			}
			if got, _ := svc.Application(ctx, "lab/tool"); got.Limits != (accounting.Limits{}) {
				t.Errorf("a refused change changed the limits to %+v", got.Limits)
			}

			// The JSON of PATCH /applications/{image}: the fields given change.
			hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "unix", sock)
			}}}
			for _, body := range []string{`{"limits":{"memory_bytes":1073741824,"cpus":2,"pids":5}}`, `{"limits":{"cpus":1}}`} {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, "http://admin.sock"+admin.AdminPath+"/applications/lab/tool", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var out struct {
					Limits accounting.LimitsJSON `json:"limits"`
				}
				err = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("PATCH %s: %d, %v", body, resp.StatusCode, err)
				}
				if want := (accounting.LimitsJSON{MemoryBytes: gib, CPUs: out.Limits.CPUs, Pids: 5}); out.Limits != want || (body[11] == 'c' && out.Limits.CPUs != 1) {
					t.Errorf("PATCH %s answered limits %+v", body, out.Limits)
				}
			}
		})
	}
}

// TestSpellingsReachSessions: revoking or removing under another spelling
// of the image stops the sessions of the grants it removes.
func TestSpellingsReachSessions(t *testing.T) {
	ctx := t.Context()
	l, _, _, h := newLocal(t)
	if _, err := l.CreateUser(ctx, admin.NewUser{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CreateApplication(ctx, admin.NewApplication{Image: "lab/tool"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CreateApplication(ctx, admin.NewApplication{Image: "docker.io/lab/tool:latest"}); !errors.Is(err, accounting.ErrExists) || !strings.Contains(err.Error(), "already exists as lab/tool") {
		t.Errorf("creating another spelling: %v, want ErrExists naming lab/tool", err)
	}
	home, err := l.Grant(ctx, "alice", "lab/tool:latest", accounting.Policy{AllowHome: true})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := l.Grant(ctx, "alice", "docker.io/lab/tool", accounting.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	h.take()
	if err := l.Revoke(ctx, "alice", "docker.io/lab/tool:latest", accounting.Policy{AllowHome: true}); err != nil {
		t.Fatal(err)
	}
	if got := h.take(); !slices.Equal(got, []string{"stop mapping " + home}) {
		t.Errorf("revoke stopped %q, want the mapping %s", got, home)
	}
	if err := l.RemoveApplication(ctx, "lab/tool:latest"); err != nil {
		t.Fatal(err)
	}
	if got := h.take(); !slices.Equal(got, []string{"stop mapping " + plain}) {
		t.Errorf("remove stopped %q, want the mapping %s", got, plain)
	}
}
