package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/auth"
)

func newLinks(t *testing.T) (*auth.SignInLinks, *memUsers, *clock) {
	t.Helper()
	users := &memUsers{m: map[string]accounting.User{"alice": {Name: "alice"}, "bob": {Name: "bob", Admin: true}}}
	c := newClock()
	return auth.NewSignInLinks(users, c.now), users, c
}

// TestSignInLinkOnce: a link signs its own user in, once; checking it
// does not spend it.
func TestSignInLinkOnce(t *testing.T) {
	ctx := t.Context()
	links, _, _ := newLinks(t)
	alice, bob := links.Make("alice"), links.Make("bob")
	if raw, err := base64.RawURLEncoding.DecodeString(alice); err != nil || len(raw) != 32 {
		t.Errorf("token %q: %d bytes, %v; want 32 random bytes in base64url", alice, len(raw), err)
	}
	if alice == bob {
		t.Fatal("two links share a token")
	}
	for range 2 {
		if u, err := links.Check(ctx, bob); err != nil || u.Name != "bob" {
			t.Fatalf("Check(bob's link) = %+v, %v", u, err)
		}
	}
	if u, err := links.Redeem(ctx, bob); err != nil || u.Name != "bob" || !u.Admin {
		t.Fatalf("Redeem(bob's link) = %+v, %v; want bob", u, err)
	}
	for _, f := range []func() (accounting.User, error){
		func() (accounting.User, error) { return links.Redeem(ctx, bob) },
		func() (accounting.User, error) { return links.Check(ctx, bob) },
	} {
		if u, err := f(); !errors.Is(err, auth.ErrBadSignInLink) || u.Name != "" {
			t.Errorf("a used link = %+v, %v; want ErrBadSignInLink", u, err)
		}
	}
	if u, err := links.Redeem(ctx, alice); err != nil || u.Name != "alice" {
		t.Errorf("Redeem(alice's link) = %+v, %v; want alice, bound to her", u, err)
	}
}

func TestSignInLinkRefused(t *testing.T) {
	ctx := t.Context()
	links, users, c := newLinks(t)
	expired := links.Make("alice")
	c.add(auth.SignInLinkTTL - time.Second)
	if _, err := links.Check(ctx, expired); err != nil {
		t.Fatalf("a link 1 s before it expires: %v", err)
	}
	c.add(2 * time.Second)
	// Before any other link is made (which prunes the expired ones).
	for _, f := range []func(context.Context, string) (accounting.User, error){links.Check, links.Redeem} {
		if u, err := f(ctx, expired); !errors.Is(err, auth.ErrBadSignInLink) || u.Name != "" {
			t.Errorf("an expired link = %+v, %v; want ErrBadSignInLink", u, err)
		}
	}
	fresh := links.Make("alice")
	removed, disabled := links.Make("carol"), links.Make("dave")
	users.m["dave"] = accounting.User{Name: "dave", Disabled: true}
	for name, token := range map[string]string{
		"expired": expired, "wrong": fresh[:len(fresh)-1] + "x", "empty": "", "removed user": removed, "disabled user": disabled,
	} {
		if u, err := links.Redeem(ctx, token); !errors.Is(err, auth.ErrBadSignInLink) || u.Name != "" {
			t.Errorf("%s: Redeem = %+v, %v; want ErrBadSignInLink", name, u, err)
		}
	}
	if u, err := links.Redeem(ctx, fresh); err != nil || u.Name != "alice" {
		t.Errorf("the fresh link after the refusals = %+v, %v", u, err)
	}
}

// TestSignInLinksBounded: beyond 100 links, the oldest goes.
func TestSignInLinksBounded(t *testing.T) {
	ctx := t.Context()
	links, _, _ := newLinks(t)
	first, second := links.Make("alice"), links.Make("alice")
	for range 99 {
		links.Make("bob")
	}
	if _, err := links.Check(ctx, first); !errors.Is(err, auth.ErrBadSignInLink) {
		t.Errorf("the oldest of 101 links still works: %v", err)
	}
	if u, err := links.Redeem(ctx, second); err != nil || u.Name != "alice" {
		t.Errorf("the second oldest of 101 links = %+v, %v", u, err)
	}
}
