package auth_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/auth"
)

func TestTokens(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	store, path := openStore(t)
	toks, err := auth.NewTokens(ctx, store, c.now)
	if err != nil {
		t.Fatal(err)
	}
	secret, tok, err := toks.Create(ctx, "alice", "laptop", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, auth.TokenPrefix) || len(secret) != 46 || len(tok.ID) != 16 || tok.Hash == secret {
		t.Fatalf("secret %q, token %+v", secret, tok)
	}
	if got, ok := toks.Resolve(secret); !ok || got.User != "alice" || got.LastUsed == nil {
		t.Fatalf("Resolve = %+v, %v", got, ok)
	}
	for _, bad := range []string{"", "sr_", secret[:45], "Bearer " + secret, tok.Hash} {
		if _, ok := toks.Resolve(bad); ok {
			t.Errorf("Resolve(%q) succeeded", bad)
		}
	}
	for _, name := range []string{"", "  ", strings.Repeat("x", 101), "a\nb"} {
		if _, _, err := toks.Create(ctx, "alice", name, nil); err == nil {
			t.Errorf("Create with name %q succeeded", name)
		}
	}
	past := c.now().Add(-time.Minute)
	if _, _, err := toks.Create(ctx, "alice", "old", &past); err == nil {
		t.Error("Create with an expiry in the past succeeded")
	}

	// Expiring tokens.
	soon := c.now().Add(time.Hour)
	short, _, err := toks.Create(ctx, "bob", "ci", &soon)
	if err != nil {
		t.Fatal(err)
	}
	c.add(2 * time.Hour)
	if _, ok := toks.Resolve(short); ok {
		t.Error("an expired token resolves")
	}
	if err := toks.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	// Lists are per user; one user cannot delete another's token.
	if l := toks.List("alice"); len(l) != 1 || l[0].ID != tok.ID {
		t.Errorf("List(alice) = %+v", l)
	}
	if err := toks.Delete(ctx, "bob", tok.ID); !errors.Is(err, auth.ErrTokenNotFound) {
		t.Errorf("bob deleting alice's token: %v", err)
	}

	// A restart keeps the token and its last use.
	store.Close()
	store, err = boltdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	toks, err = auth.NewTokens(ctx, store, c.now)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := toks.Resolve(secret); !ok {
		t.Fatal("the token did not survive a restart")
	}
	if stored, _ := store.Tokens(ctx); len(stored) != 1 || stored[0].LastUsed == nil {
		t.Errorf("stored tokens = %+v (the expired one should be gone)", stored)
	}
	if err := toks.Delete(ctx, "alice", tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := toks.Resolve(secret); ok {
		t.Error("a deleted token resolves")
	}
	s2, _, _ := toks.Create(ctx, "carol", "a", nil)
	s3, _, _ := toks.Create(ctx, "carol", "b", nil)
	if n, err := toks.RevokeUser(ctx, "carol"); err != nil || n != 2 {
		t.Errorf("RevokeUser = %d, %v", n, err)
	}
	for _, s := range []string{s2, s3} {
		if _, ok := toks.Resolve(s); ok {
			t.Error("a revoked user's token resolves")
		}
	}
}

func TestResolverWithToken(t *testing.T) {
	ctx := t.Context()
	store, _ := openStore(t)
	defer store.Close()
	for _, u := range []accounting.User{{Name: "alice", Admin: true}, {Name: "dis", Disabled: true}} {
		if err := store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	logins, _ := auth.NewLogins(ctx, store, time.Hour, time.Hour, nil)
	toks, _ := auth.NewTokens(ctx, store, nil)
	res := &auth.Resolver{Logins: logins, Tokens: toks, Users: store, IsAdmin: func(u accounting.User) bool { return u.Admin }}
	aliceTok, _, _ := toks.Create(ctx, "alice", "x", nil)
	disTok, _, _ := toks.Create(ctx, "dis", "x", nil)
	cookie, _, _ := logins.Create(ctx, "alice", "::1")

	for _, tc := range []struct {
		name, header, cookie string
		want                 string
		via                  string
	}{
		{"token", "Bearer " + aliceTok, "", "alice", auth.ViaToken},
		{"token in the token scheme", "token " + aliceTok, "", "alice", auth.ViaToken},
		{"scheme in another case", "BEARER " + aliceTok, "", "alice", auth.ViaToken},
		{"token scheme in another case", "Token " + aliceTok, "", "alice", auth.ViaToken},
		{"token wins over a cookie", "token " + aliceTok, cookie, "alice", auth.ViaToken},
		{"cookie", "", cookie, "alice", auth.ViaCookie},
		{"disabled user's token", "Bearer " + disTok, "", "", ""},
		{"bad token wins over a good cookie", "Bearer sr_nope", cookie, "", ""},
		{"bad token in the token scheme wins too", "token sr_nope", cookie, "", ""},
		{"an application's own token: the cookie decides", "token 0123456789abcdef", cookie, "alice", auth.ViaCookie},
		{"an application's own bearer token: the cookie decides", "Bearer eyJhbGciOi.x.y", cookie, "alice", auth.ViaCookie},
		{"basic auth: the cookie decides", "Basic YWxpY2U6eA==", cookie, "alice", auth.ViaCookie},
		{"an application's own token alone", "token 0123456789abcdef", "", "", ""},
		{"nothing", "", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			if tc.cookie != "" {
				r.Header.Set("Cookie", auth.CookieName+"="+tc.cookie)
			}
			id, ok := res.Identify(r)
			if ok != (tc.want != "") || id.User != tc.want || id.Via != tc.via {
				t.Fatalf("Identify = %+v, %v", id, ok)
			}
			if ok && !id.Admin {
				t.Error("alice is not an admin")
			}
		})
	}
}

func TestTokenOf(t *testing.T) {
	for _, tc := range []struct {
		header, secret string
		ours           bool
	}{
		{"Bearer sr_abc", "sr_abc", true},
		{"token sr_abc", "sr_abc", true},
		{"TOKEN  sr_abc ", "sr_abc", true},
		{"bearer sr_abc", "sr_abc", true},
		{"token abc", "abc", false},
		{"Bearer abc", "abc", false},
		{"Basic sr_abc", "", false},
		{"sr_abc", "", false},
		{"", "", false},
	} {
		secret, ours := auth.TokenOf(tc.header)
		if ours != tc.ours || (ours && secret != tc.secret) {
			t.Errorf("TokenOf(%q) = %q, %v; want %q, %v", tc.header, secret, ours, tc.secret, tc.ours)
		}
	}
}
