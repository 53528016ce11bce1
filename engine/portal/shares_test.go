package portal_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/portal"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/shares"
)

func TestShare(t *testing.T) {
	e := newEnv(t)
	desk := e.start(t, "alice", e.aliceDesktop)
	web := e.start(t, "alice", e.aliceWebapp)
	bobs := e.start(t, "bob", e.bobDesktop)
	past, future := e.now.Add(-time.Minute), e.now.Add(time.Hour)

	refusals := []struct {
		name  string
		urlID string
		req   portal.ShareRequest
		want  error
	}{
		{"another's session", bobs.URLID, portal.ShareRequest{User: "carol", Mode: "view"}, session.ErrNotFound},
		{"no such session", "ffffffffffffffffffffffffffffffff", portal.ShareRequest{User: "carol", Mode: "view"}, session.ErrNotFound},
		{"the policy does not allow it", web.URLID, portal.ShareRequest{User: "bob", Mode: "view"}, shares.ErrNotAllowed},
		{"no user", desk.URLID, portal.ShareRequest{Mode: "view"}, accounting.ErrInvalid},
		{"no mode", desk.URLID, portal.ShareRequest{User: "bob"}, accounting.ErrInvalid},
		{"a bad mode", desk.URLID, portal.ShareRequest{User: "bob", Mode: "admin"}, accounting.ErrInvalid},
		{"with the owner", desk.URLID, portal.ShareRequest{User: "alice", Mode: "view"}, accounting.ErrInvalid},
		{"an unknown user", desk.URLID, portal.ShareRequest{User: "mallory", Mode: "view"}, shares.ErrRecipient},
		{"a disabled user", desk.URLID, portal.ShareRequest{User: "dave", Mode: "view"}, shares.ErrRecipient},
		{"a name that cannot be", desk.URLID, portal.ShareRequest{User: "Bob Smith", Mode: "view"}, shares.ErrRecipient},
		{"expired already", desk.URLID, portal.ShareRequest{User: "bob", Mode: "view", Expires: &past}, accounting.ErrInvalid},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			n := len(e.entries(t))
			_, err := e.svc.Share(as(t, "alice"), "alice", tt.urlID, tt.req)
			wantErr(t, tt.name, err, tt.want)
			if errors.Is(tt.want, shares.ErrRecipient) && err.Error() != shares.ErrRecipient.Error() {
				t.Errorf("refusing %q says %q: more than the one answer that names nobody", tt.req.User, err)
			}
			if len(e.shares.List(tt.urlID)) != 0 {
				t.Errorf("a refused share was made: %+v", e.shares.List(tt.urlID))
			}
			e.noNewEntry(t, n)
		})
	}

	sh, err := e.svc.Share(as(t, "alice"), "alice", desk.URLID, portal.ShareRequest{User: "bob", Mode: "view", Expires: &future})
	if err != nil {
		t.Fatal(err)
	}
	if sh.User != "bob" || sh.Mode != shares.View || sh.URLID != desk.URLID || sh.Expires == nil || !sh.Expires.Equal(future) {
		t.Errorf("Share = %+v", sh)
	}
	e.wantEntry(t, audit.ShareCreate, desk.URLID, "with bob, view", audit.ResultOK)

	list, err := e.svc.Shares(t.Context(), "alice", desk.URLID)
	if err != nil || len(list) != 1 || list[0].User != "bob" {
		t.Errorf("Shares(alice, desktop) = %+v, %v; want bob's", list, err)
	}
	_, err = e.svc.Shares(t.Context(), "bob", desk.URLID)
	wantErr(t, "bob listing the shares of alice's session", err, session.ErrNotFound)
	_, err = e.svc.Shares(t.Context(), "alice", web.URLID)
	wantErr(t, "the shares of a session that may not be shared", err, shares.ErrNotAllowed)
}

func TestUnshare(t *testing.T) {
	e := newEnv(t)
	desk := e.start(t, "alice", e.aliceDesktop)
	bobs := e.start(t, "bob", e.bobDesktop)
	for _, x := range []struct{ owner, urlID, with string }{{"alice", desk.URLID, "bob"}, {"bob", bobs.URLID, "carol"}} {
		if _, err := e.svc.Share(as(t, x.owner), x.owner, x.urlID, portal.ShareRequest{User: x.with, Mode: "control"}); err != nil {
			t.Fatal(err)
		}
	}

	n := len(e.entries(t))
	wantErr(t, "alice ending a share of bob's session", e.svc.Unshare(as(t, "alice"), "alice", bobs.URLID, "carol"), shares.ErrNotFound)
	wantErr(t, "alice ending a share that does not exist", e.svc.Unshare(as(t, "alice"), "alice", desk.URLID, "carol"), shares.ErrNotFound)
	e.noNewEntry(t, n)
	if _, ok := e.shares.Lookup(bobs.URLID, "carol"); !ok {
		t.Error("alice ended the share of bob's session with carol")
	}

	if err := e.svc.Unshare(as(t, "alice"), "alice", desk.URLID, "bob"); err != nil {
		t.Fatal(err)
	}
	e.wantEntry(t, audit.ShareRemove, desk.URLID, "with bob", audit.ResultOK)
	if _, ok := e.shares.Lookup(desk.URLID, "bob"); ok {
		t.Error("the share is still there")
	}
}

func TestSharedWithMe(t *testing.T) {
	e := newEnv(t)
	desk := e.start(t, "alice", e.aliceDesktop)
	bobs := e.start(t, "bob", e.bobDesktop)
	for _, x := range []struct{ owner, urlID, mode string }{{"alice", desk.URLID, "view"}, {"bob", bobs.URLID, "control"}} {
		if _, err := e.svc.Share(as(t, x.owner), x.owner, x.urlID, portal.ShareRequest{User: "carol", Mode: x.mode}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := e.svc.SharedWithMe(t.Context(), "carol")
	if err != nil || len(list) != 2 {
		t.Fatalf("SharedWithMe(carol) = %+v, %v; want two", list, err)
	}
	want := map[string]string{
		desk.URLID: desk.URLPath + "?view_only=1&resize=scale", // a desktop to view
		bobs.URLID: bobs.URLPath,                               // one to control
	}
	for _, x := range list {
		if !x.Available || x.Image.UIName != "Desktop" || x.OpenPath != want[x.Route.URLID] || x.Share.User != "carol" {
			t.Errorf("shared %+v, want it described and opened at %q", x, want[x.Route.URLID])
		}
	}
	if list, _ := e.svc.SharedWithMe(t.Context(), "alice"); len(list) != 0 {
		t.Errorf("SharedWithMe(alice) = %+v, want none", list)
	}

	o, err := e.svc.Overview(t.Context(), "carol")
	if err != nil || len(o.Shared) != 2 || len(o.List) != 0 || !o.Answering {
		t.Errorf("Overview(carol) = %+v, %v; want her two shared sessions", o, err)
	}
}

func TestRecipients(t *testing.T) {
	e := newEnv(t)
	ctx := as(t, "alice")
	desk := e.start(t, "alice", e.aliceDesktop)
	bobs := e.start(t, "bob", e.bobDesktop)
	share := func(ctx context.Context, owner, urlID, user string) {
		t.Helper()
		if _, err := e.svc.Share(ctx, owner, urlID, portal.ShareRequest{User: user, Mode: "view"}); err != nil {
			t.Fatal(err)
		}
	}
	share(ctx, "alice", desk.URLID, "carol")
	share(ctx, "alice", desk.URLID, "bob")
	share(ctx, "alice", desk.URLID, "carol") // again: once, as the newest
	// What alice did not name, or names that were refused: not shown.
	if _, err := e.svc.Share(as(t, "bob"), "bob", bobs.URLID, portal.ShareRequest{User: "eve", Mode: "view"}); err == nil {
		t.Fatal("sharing with nobody worked")
	}
	_ = e.store.CreateUser(t.Context(), accounting.User{Name: "eve"})
	share(as(t, "bob"), "bob", bobs.URLID, "eve")
	if _, err := e.svc.Share(ctx, "alice", desk.URLID, portal.ShareRequest{User: "mallory", Mode: "view"}); err == nil {
		t.Fatal("sharing with nobody worked")
	}
	log := audit.NewLog(e.store, zerolog.Nop())
	log.Record(ctx, audit.ShareCreate, desk.URLID, "with frank, view", errors.New("the store failed"))
	// An entry of another action, even one that reads alike.
	log.Record(ctx, audit.ShareRemove, desk.URLID, "with grace, view", nil)
	log.Record(as(t, "bob"), audit.ShareCreate, bobs.URLID, "with heidi, view", nil)

	got, err := e.svc.Recipients(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"carol", "bob"}; !slices.Equal(got, want) {
		t.Errorf("Recipients(alice) = %q, want %q", got, want)
	}
	if got, _ := e.svc.Recipients(t.Context(), "carol"); got == nil || len(got) != 0 {
		t.Errorf("Recipients(carol) = %#v, want an empty list", got)
	}

	t.Run("at most 50, newest first", func(t *testing.T) {
		for i := range portal.MaxRecipients + 5 {
			log.Record(ctx, audit.ShareCreate, desk.URLID, fmt.Sprintf("with user%02d, view", i), nil)
		}
		got, err := e.svc.Recipients(t.Context(), "alice")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != portal.MaxRecipients || got[0] != fmt.Sprintf("user%02d", portal.MaxRecipients+4) || got[len(got)-1] != "user05" {
			t.Errorf("Recipients(alice) = %q, want user%02d down to user05", got, portal.MaxRecipients+4)
		}
	})
}

// A refusal of a share must not depend on whether its user exists: a bad
// expiry is refused alike for a known and an unknown user, or its answer
// would tell which names are users.
func TestShareRefusalNamesNobody(t *testing.T) {
	e := newEnv(t)
	desk := e.start(t, "alice", e.aliceDesktop)
	past := e.now.Add(-time.Minute)
	answer := func(user string) string {
		_, err := e.svc.Share(as(t, "alice"), "alice", desk.URLID, portal.ShareRequest{User: user, Mode: "view", Expires: &past})
		if err == nil {
			t.Fatalf("a share with %s that expired already was made", user)
		}
		return err.Error()
	}
	known, unknown := answer("bob"), answer("mallory")
	if known != unknown {
		t.Errorf("an expired share with bob (a user) is refused with %q, with mallory (none) with %q: the answer tells that bob exists", known, unknown)
	}
}

// The recipient's name is taken as sign-in takes it (auth.NormalizeName),
// by the service: the API and the portal's form share with the same user
// for the same typed name.
func TestShareNormalizesTheRecipient(t *testing.T) {
	e := newEnv(t)
	desk := e.start(t, "alice", e.aliceDesktop)
	sh, err := e.svc.Share(as(t, "alice"), "alice", desk.URLID, portal.ShareRequest{User: " Bob ", Mode: "view"})
	if err != nil {
		t.Fatalf("sharing with %q: %v; want bob", " Bob ", err)
	}
	if sh.User != "bob" {
		t.Errorf("shared with %q, want bob", sh.User)
	}
	e.wantEntry(t, audit.ShareCreate, desk.URLID, "with bob, view", audit.ResultOK)
	_, err = e.svc.Share(as(t, "alice"), "alice", desk.URLID, portal.ShareRequest{User: "ALICE", Mode: "view"})
	var inv *accounting.InvalidError
	if !errors.As(err, &inv) || inv.What != "user" {
		t.Errorf("sharing with ALICE (the owner): %v, want the owner refused", err)
	}
}

// Ending a share takes the name as sharing does: what shared with " Bob "
// ends with " Bob " too.
func TestUnshareNormalizesTheUser(t *testing.T) {
	e := newEnv(t)
	desk := e.start(t, "alice", e.aliceDesktop)
	if _, err := e.svc.Share(as(t, "alice"), "alice", desk.URLID, portal.ShareRequest{User: " Bob ", Mode: "view"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Unshare(as(t, "alice"), "alice", desk.URLID, " Bob "); err != nil {
		t.Fatalf("ending the share with %q: %v", " Bob ", err)
	}
	if _, ok := e.shares.Lookup(desk.URLID, "bob"); ok {
		t.Error("the share with bob is still there")
	}
}
