package appliance

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/caddymodule"
	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/websockets"
)

// A WebSocket whose caller was identified, and then signed out (token
// deleted, user disabled) before the WebSocket was registered, is refused:
// the sign-out found nothing to close, so the registration checks again.
func TestWebSocketOpenedDuringSignOut(t *testing.T) {
	ctx := t.Context()
	const urlID = "0123456789abcdef0123456789abcdef"
	route := routes.Route{URLID: urlID, User: "alice", Upstream: "127.0.0.1:1"}
	for _, tt := range []struct {
		name    string
		revoke  func(t *testing.T, a *Appliance, secret string, tok auth.Token)
		byToken bool
	}{
		{"signed out", func(t *testing.T, a *Appliance, secret string, _ auth.Token) {
			if err := a.logins.Revoke(ctx, secret); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"token deleted", func(t *testing.T, a *Appliance, _ string, tok auth.Token) {
			if err := a.tokens.Delete(ctx, "alice", tok.ID); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"user disabled", func(t *testing.T, a *Appliance, _ string, _ auth.Token) {
			if err := a.accounts.SetDisabled(ctx, "alice", true); err != nil {
				t.Fatal(err)
			}
		}, false},
	} {
		for _, kind := range []string{"owner", "shared"} {
			t.Run(tt.name+", "+kind, func(t *testing.T) {
				store, err := boltdb.Init(filepath.Join(t.TempDir(), "db"))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { store.Close() })
				if err := store.CreateUser(ctx, accounting.User{Name: "alice"}); err != nil {
					t.Fatal(err)
				}
				logins, err := auth.NewLogins(ctx, store, time.Hour, 24*time.Hour, nil)
				if err != nil {
					t.Fatal(err)
				}
				tokens, err := auth.NewTokens(ctx, store, nil)
				if err != nil {
					t.Fatal(err)
				}
				a := &Appliance{
					log: zerolog.Nop(), accounts: store, logins: logins, tokens: tokens,
					sockets:  websockets.New(websockets.Limits{}),
					resolver: &auth.Resolver{Logins: logins, Tokens: tokens, Users: store, IsAdmin: func(accounting.User) bool { return false }},
				}
				secret, _, err := logins.Create(ctx, "alice", "127.0.0.1")
				if err != nil {
					t.Fatal(err)
				}
				tokSecret, tok, err := tokens.Create(ctx, "alice", "laptop", nil)
				if err != nil {
					t.Fatal(err)
				}
				r := httptest.NewRequest("GET", "https://appliance.test/user/alice/containers/"+urlID+"/ws", nil)
				if tt.byToken {
					r.Header.Set("Authorization", "Bearer "+tokSecret)
				} else {
					r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: secret})
				}
				id, ok := a.resolver.Identify(r)
				if !ok {
					t.Fatal("alice is not identified")
				}
				tt.revoke(t, a, secret, tok) // between the check of the request and the registration

				w := httptest.NewRecorder()
				if kind == "owner" {
					if _, done, ok := (backend{a}).OpenWebSocket(w, r, id, route); ok {
						done()
						t.Fatal("the WebSocket was opened")
					}
				} else {
					(backend{a}).Relay(w, r, id, route, caddymodule.ControlAccess)
				}
				if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), websockets.SignedOut.Text) {
					t.Errorf("answered %d %q, want 401 signed out", w.Code, w.Body)
				}
				if n := a.sockets.CountUser("alice"); n != 0 {
					t.Errorf("%d WebSockets left registered", n)
				}
			})
		}
	}
}
