package admin_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api"
	"github.com/simphony/simphony-remote/engine/audit"
)

// serveAuditedSocket serves the admin API on svc at a unix socket, as the
// appliance does: the peer's credentials make the actor.
func serveAuditedSocket(t *testing.T, svc admin.Service) string {
	t.Helper()
	path := filepath.Join(shortDir(t), "admin.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ConnContext: audit.ConnContext, Handler: audit.SocketActor(api.AdminHandler(svc, zerolog.Nop()))}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return path
}

func TestClientAudit(t *testing.T) {
	local, _ := newAuditedLocal(t)
	c := admin.DialSocket(serveAuditedSocket(t, local))
	defer c.CloseIdleConnections()
	ctx := t.Context()

	// Changes through the socket are recorded with its peer as the actor.
	if _, err := c.CreateUser(ctx, admin.NewUser{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateUser(ctx, admin.NewUser{Name: "alice"}); err == nil {
		t.Fatal("creating alice twice worked")
	}
	if _, err := c.CreateApplication(ctx, admin.NewApplication{Image: "img"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Grant(ctx, "alice", "img", accounting.Policy{AllowHome: true}); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}

	uid := strconv.Itoa(os.Getuid())
	actor := "socket uid " + uid
	if u, err := user.LookupId(uid); err == nil && u.Username != "" {
		actor += " (" + u.Username + ")"
	}
	got, next, err := c.Audit(ctx, 0, 0)
	if err != nil || next != 0 {
		t.Fatalf("Audit: next %d, %v", next, err)
	}
	want := []string{"user.remove alice ok", "grant.create img for alice ok", "application.create img ok",
		"user.create alice failed", "user.create alice ok"}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, e := range got {
		if s := e.Action + " " + e.Target + " " + e.Result; s != want[i] || e.Actor != actor || e.Address != "admin.sock" {
			t.Errorf("entry %d: %q by %q at %q, want %q by %q at admin.sock", i, s, e.Actor, e.Address, want[i], actor)
		}
	}

	// Pages through the client are those of the service.
	for _, tt := range []struct {
		before uint64
		limit  int
	}{{0, 2}, {4, 2}, {2, 2}, {0, 5000}, {0, -1}, {100, 1}} {
		le, ln, lerr := local.Audit(ctx, tt.before, tt.limit)
		ce, cn, cerr := c.Audit(ctx, tt.before, tt.limit)
		if fmt.Sprint(le, ln, lerr) != fmt.Sprint(ce, cn, cerr) {
			t.Errorf("before %d limit %d:\nLocal  %v %d %v\nClient %v %d %v", tt.before, tt.limit, le, ln, lerr, ce, cn, cerr)
		}
	}
}

func TestClientAuditUnavailable(t *testing.T) {
	local := admin.NewLocal(newStore(t), admin.Options{})
	c := admin.DialSocket(serveAuditedSocket(t, local))
	defer c.CloseIdleConnections()
	_, _, lerr := local.Audit(t.Context(), 0, 10)
	_, _, cerr := c.Audit(t.Context(), 0, 10)
	wantErr(t, cerr, admin.ErrUnavailable, "no audit log")
	if lerr.Error() != cerr.Error() {
		t.Errorf("Local says %q, Client %q", lerr, cerr)
	}
}
