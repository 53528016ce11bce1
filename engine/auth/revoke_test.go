package auth_test

import (
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/auth"
)

// TestOnRevoke: signing out, deleting a token and revoking a user's
// logins and tokens tell OnRevoke exactly which ended; and a token's
// caller is known by the token's id.
func TestOnRevoke(t *testing.T) {
	ctx := t.Context()
	store, _ := openStore(t)
	defer store.Close()
	logins, _ := auth.NewLogins(ctx, store, time.Hour, time.Hour, nil)
	toks, _ := auth.NewTokens(ctx, store, nil)
	var endedLogins, endedTokens []string
	logins.OnRevoke(func(h string) { endedLogins = append(endedLogins, h) })
	toks.OnRevoke(func(id string) { endedTokens = append(endedTokens, id) })

	s1, l1, _ := logins.Create(ctx, "alice", "::1")
	_, l2, _ := logins.Create(ctx, "alice", "::1")
	_, l3, _ := logins.Create(ctx, "bob", "::1")
	secret, t1, _ := toks.Create(ctx, "alice", "a", nil)
	_, t2, _ := toks.Create(ctx, "alice", "b", nil)
	_, t3, _ := toks.Create(ctx, "bob", "c", nil)

	if err := store.CreateUser(ctx, accounting.User{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	res := &auth.Resolver{Logins: logins, Tokens: toks, Users: store, IsAdmin: func(accounting.User) bool { return false }}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+secret)
	if id, ok := res.Identify(r); !ok || id.Token != t1.ID {
		t.Errorf("a token's caller: %+v, %v; want token id %s", id, ok, t1.ID)
	}

	if err := logins.Revoke(ctx, s1); err != nil {
		t.Fatal(err)
	}
	if err := toks.Delete(ctx, "alice", t1.ID); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(endedLogins, []string{l1.IDHash}) || !slices.Equal(endedTokens, []string{t1.ID}) {
		t.Fatalf("after sign-out and deletion: logins %v, tokens %v", endedLogins, endedTokens)
	}
	if _, err := logins.RevokeUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := toks.RevokeUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(endedLogins, []string{l1.IDHash, l2.IDHash}) || !slices.Equal(endedTokens, []string{t1.ID, t2.ID}) {
		t.Errorf("after revoking alice: logins %v, tokens %v", endedLogins, endedTokens)
	}
	if slices.Contains(endedLogins, l3.IDHash) || slices.Contains(endedTokens, t3.ID) {
		t.Error("bob's were ended too")
	}
}
