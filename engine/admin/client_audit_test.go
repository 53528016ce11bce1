package admin_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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
	got, next, err := c.Audit(ctx, audit.Query{})
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

	// Pages through the client are those of the service, filtered alike.
	first := got[len(got)-1].Time
	for _, q := range []audit.Query{
		{Limit: 2}, {Before: 4, Limit: 2}, {Before: 2, Limit: 2}, {Limit: 5000}, {Limit: -1}, {Before: 100, Limit: 1},
		{User: "alice"}, {User: "alice", Limit: 1}, {User: "alice", Before: 4, Limit: 1}, {User: "img"},
		{Action: audit.UserCreate}, {Action: audit.UserCreate, Limit: 1}, {Action: "no.such"},
		{From: first}, {From: first.Add(time.Hour)}, {To: first}, {From: first.Add(-time.Hour), To: first.Add(time.Hour), User: "alice", Action: audit.GrantCreate},
		{From: first, To: first}, {From: first.Add(time.Second), To: first},
	} {
		le, ln, lerr := local.Audit(ctx, q)
		ce, cn, cerr := c.Audit(ctx, q)
		if fmt.Sprint(le, ln, lerr) != fmt.Sprint(ce, cn, cerr) {
			t.Errorf("%+v:\nLocal  %v %d %v\nClient %v %d %v", q, le, ln, lerr, ce, cn, cerr)
		}
	}
	for _, tt := range []struct {
		q    audit.Query
		want string
		next uint64
	}{
		{audit.Query{User: "alice"}, "user.remove grant.create user.create user.create", 0},
		{audit.Query{User: "alice", Limit: 1}, "user.remove", 5},
		{audit.Query{User: "alice", Before: 5, Limit: 1}, "grant.create", 4},
		{audit.Query{Action: audit.UserCreate}, "user.create user.create", 0},
		{audit.Query{From: first.Add(time.Hour)}, "", 0},
		{audit.Query{From: first.Add(-time.Hour), To: first.Add(time.Hour), User: "alice", Action: audit.GrantCreate}, "grant.create", 0},
	} {
		es, next, err := c.Audit(ctx, tt.q)
		var actions []string
		for _, e := range es {
			actions = append(actions, e.Action)
		}
		if got := strings.Join(actions, " "); got != tt.want || next != tt.next || err != nil {
			t.Errorf("%+v: %q, next %d, %v; want %q, next %d", tt.q, got, next, err, tt.want, tt.next)
		}
	}
	_, _, err = c.Audit(ctx, audit.Query{From: first.Add(time.Second), To: first})
	wantErr(t, err, accounting.ErrInvalid, `reading the audit log: invalid time range "`)
	if err != nil && !strings.Contains(err.Error(), ": its end is not after its start") {
		t.Errorf("a backwards range: %v", err)
	}
}

func TestClientAuditUnavailable(t *testing.T) {
	local := admin.NewLocal(newStore(t), admin.Options{})
	c := admin.DialSocket(serveAuditedSocket(t, local))
	defer c.CloseIdleConnections()
	_, _, lerr := local.Audit(t.Context(), audit.Query{Limit: 10})
	_, _, cerr := c.Audit(t.Context(), audit.Query{Limit: 10})
	wantErr(t, cerr, admin.ErrUnavailable, "no audit log")
	if lerr.Error() != cerr.Error() {
		t.Errorf("Local says %q, Client %q", lerr, cerr)
	}
}
