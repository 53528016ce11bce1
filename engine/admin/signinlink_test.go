package admin_test

import (
	"context"
	"errors"
	"os"
	"os/user"
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/audit"
)

// fakeLink is the appliance's hook that makes sign-in links.
func fakeLink(_ context.Context, user string) (string, error) {
	return "https://lab.example:8443/login/link?token=secret-of-" + user, nil
}

func withLinks(o *admin.Options, _ *runtimeEnv) { o.SignInLink = fakeLink }

// TestSignInLinkClientMatchesLocal: the rules of sign-in links (the user
// exists and is not disabled; every link made is audited, never the link
// itself) hold alike locally and through the admin socket.
func TestSignInLinkClientMatchesLocal(t *testing.T) {
	link := func(name string) rstep {
		return rstep{"link for " + name, func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return s.SignInLink(ctx, name)
		}}
	}
	steps := []rstep{
		link("alice"),
		{"disable carol", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return s.UpdateUser(ctx, "carol", admin.UserChange{Disabled: ptr(true)})
		}},
		link("carol"), link("nobody"), link("a/b"),
		{"audit", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			entries, _, err := s.Audit(ctx, audit.Query{Action: audit.UserLink})
			var out []string
			for _, e := range entries {
				out = append(out, e.Target+" "+e.Result+": "+e.Detail)
			}
			return out, err
		}},
		// The Client refuses these itself: no path names them.
		link(""), link("."),
	}
	compareRuntime(t, []envOption{withLinks}, steps, func(t *testing.T, o []routcome) {
		expect(t, o[0], "alice's link", "", "", `"https://lab.example:8443/login/link?token=secret-of-alice"`)
		expect(t, o[2], "disabled carol's link", `making a sign-in link for carol: invalid user "carol": the user is disabled; enable them first (db user enable carol)`, "400 invalid")
		expect(t, o[3], "nobody's link", "making a sign-in link: user nobody: not found", "404 not_found")
		expect(t, o[4], "a/b's link", "making a sign-in link: user a/b: not found", "404 not_found")
		expect(t, o[5], "audit", "", "", `"a/b failed: making a sign-in link: user a/b: not found"`,
			`"carol failed: making a sign-in link for carol: invalid user`, `"alice ok: "`)
		if strings.Contains(o[5].Result, "secret-of") {
			t.Errorf("the audit log holds a link: %s", o[5].Result)
		}
		expect(t, o[6], "no name's link", "making a sign-in link: user : not found", "404 not_found")
		expect(t, o[7], "dot's link", "making a sign-in link: user .: not found", "404 not_found")
	})
}

// TestSignInLinkBySocketActor: a link made through the admin socket is
// recorded with the socket's peer as the actor, as every change there.
func TestSignInLinkBySocketActor(t *testing.T) {
	s := newStore(t)
	if err := s.CreateUser(t.Context(), accounting.User{Name: "alice", Admin: true}); err != nil {
		t.Fatal(err)
	}
	local := admin.NewLocal(s, admin.Options{Audit: s, Log: audit.NewLog(s, zerolog.Nop()), SignInLink: fakeLink})
	c := admin.DialSocket(serveAuditedSocket(t, local))
	defer c.CloseIdleConnections()
	got, err := c.SignInLink(t.Context(), "alice")
	if err != nil || got != "https://lab.example:8443/login/link?token=secret-of-alice" {
		t.Fatalf("SignInLink(alice) through the socket = %q, %v", got, err)
	}
	uid := strconv.Itoa(os.Getuid())
	actor := "socket uid " + uid
	if u, err := user.LookupId(uid); err == nil && u.Username != "" {
		actor += " (" + u.Username + ")"
	}
	entries, _, err := local.Audit(t.Context(), audit.Query{})
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit: %+v, %v; want one entry", entries, err)
	}
	if e := entries[0]; e.Action != "user.sign-in-link" || e.Target != "alice" || e.Result != "ok" || e.Actor != actor || e.Address != "admin.sock" {
		t.Errorf("audit entry %+v, want user.sign-in-link alice ok by %q at admin.sock", e, actor)
	}
}

// TestSignInLinkNeedsTheAppliance: without the running appliance (db on a
// stopped appliance's database) there is nobody to take the link.
func TestSignInLinkNeedsTheAppliance(t *testing.T) {
	l, s, _, _ := newLocal(t)
	if err := s.CreateUser(t.Context(), accounting.User{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	link, err := l.SignInLink(t.Context(), "alice")
	if !errors.Is(err, admin.ErrUnavailable) || link != "" || !strings.Contains(err.Error(), "the appliance must be running (simphony-remote serve)") {
		t.Errorf("SignInLink without the appliance = %q, %v; want ErrUnavailable saying to run serve", link, err)
	}
}

// TestSignInLinkOnlyOnTheHost: a link signs in as anybody, administrators
// included, without a password; an administrator's browser or API token
// (any caller but the admin socket's) is refused, and the refusal audited.
func TestSignInLinkOnlyOnTheHost(t *testing.T) {
	s := newStore(t)
	if err := s.CreateUser(t.Context(), accounting.User{Name: "alice", Admin: true}); err != nil {
		t.Fatal(err)
	}
	local := admin.NewLocal(s, admin.Options{Audit: s, Log: audit.NewLog(s, zerolog.Nop()), SignInLink: fakeLink})
	for _, ctx := range []context.Context{
		audit.WithActor(t.Context(), audit.Actor{Name: "bob", Address: "192.0.2.7"}),
		t.Context(),
	} {
		got, err := local.SignInLink(ctx, "alice")
		if !errors.Is(err, admin.ErrHostOnly) || got != "" || !strings.Contains(err.Error(), "simphony-remote db user sign-in-link alice") {
			t.Errorf("SignInLink(alice) off the host = %q, %v; want ErrHostOnly naming the command", got, err)
		}
	}
	entries, _, err := local.Audit(t.Context(), audit.Query{Action: audit.UserLink})
	if err != nil || len(entries) != 2 || entries[0].Result != "failed" {
		t.Errorf("the refusals in the audit log: %+v, %v", entries, err)
	}
}
