package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/portal"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/shares"
	"github.com/simphony/simphony-remote/engine/web"
)

// failingStops are alice's one running session, whose stop fails with err.
type failingStops struct {
	fakeSessions
	err error
}

func (f *failingStops) Stop(context.Context, string, string) error { return f.err }

// TestSameStatusEverywhere stops a session whose stop fails, through the
// JSON API, the legacy API and the portal's form: all answer with the same status
// for the same error (they once disagreed: 504 and 502 for ErrNotReady).
func TestSameStatusEverywhere(t *testing.T) {
	ctx := t.Context()
	store, err := boltdb.Init(filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if err := store.CreateApplication(ctx, accounting.Application{Image: desktop}); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateUser(ctx, accounting.User{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	mapping, err := store.Grant(ctx, "alice", desktop, accounting.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	toks, err := auth.NewTokens(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := toks.Create(ctx, "alice", "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	logins, err := auth.NewLogins(ctx, store, time.Hour, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	secret, login, err := logins.Create(ctx, "alice", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	sh, err := shares.New(ctx, store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	table := routes.New()
	table.Put(routes.Route{URLID: aliceURL, User: "alice", MappingID: mapping, Image: desktop, ContainerID: "c0ffee01", ContainerName: aliceName})
	sessions := &failingStops{fakeSessions: fakeSessions{t: table}}
	resolver := &auth.Resolver{Logins: logins, Tokens: toks, Users: store, IsAdmin: func(u accounting.User) bool { return u.Admin }}
	image := func(_ context.Context, ref string) (protocol.Image, error) {
		return protocol.ParseImage(ref, "sha256:d1", map[string]string{protocol.Namespace + "type": "vncapp"})
	}
	svc := portal.New(portal.Deps{Accounts: store, Sessions: sessions, Image: image, Shares: sh, Tokens: toks, Logins: logins})
	apiH := api.NewHandler(api.UserDeps{
		Resolver: resolver, Portal: svc, Sessions: sessions, Image: image,
		AdminService: admin.NewLocal(store, admin.Options{Running: sessions}), Realm: "remoteexec", Log: zerolog.Nop(),
	})
	pages, err := web.New(web.Deps{Resolver: resolver, Logins: logins, Portal: svc, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}

	for _, sentinel := range []error{
		session.ErrNotReady, session.ErrContainerGone, session.ErrUnavailable, session.ErrImageNotFound,
		session.ErrInProgress, session.ErrInvalid, session.ErrVolume, session.ErrNotFound, errors.New("disk on fire"),
	} {
		sessions.err = fmt.Errorf("stopping %s: %w", aliceURL, sentinel)

		r := httptest.NewRequest(http.MethodDelete, "/api/v1/containers/"+aliceURL, nil)
		r.Header.Set("Authorization", "Bearer "+token)
		fromAPI := httptest.NewRecorder()
		apiH.ServeHTTP(fromAPI, r)

		form := url.Values{"url_id": {aliceURL}, "csrf_token": {login.CSRF}}
		r = httptest.NewRequest(http.MethodPost, "/stop", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(logins.Cookie(secret))
		fromPages := httptest.NewRecorder()
		pages.ServeHTTP(fromPages, r)

		r = httptest.NewRequest(http.MethodDelete, "/user/alice/api/v1/containers/"+aliceURL+"/", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		fromLegacy := httptest.NewRecorder()
		apiH.ServeHTTP(fromLegacy, r)

		if fromAPI.Code < 400 || fromAPI.Code != fromPages.Code || fromAPI.Code != fromLegacy.Code {
			t.Errorf("%v: the API answers %d, the pages %d, the legacy API %d", sentinel, fromAPI.Code, fromPages.Code, fromLegacy.Code)
		}
		if fromAPI.Code == http.StatusInternalServerError && strings.Contains(fromLegacy.Body.String(), "disk on fire") {
			t.Errorf("the legacy API shows a server error's message: %s", fromLegacy.Body)
		}
	}
}
