package portal_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/portal"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/shares"
)

const (
	desktop  = "simphonyproject/simphony-desktop:0.6.0"
	webapp   = "simphonyproject/simphony-webapp:0.6.0"
	missing  = "simphonyproject/not-installed:1"
	password = "alice's old password"
	address  = "192.0.2.7"
)

// env is the service on a real bbolt store, with real shares, tokens,
// logins, audit log and authenticator, and fake sessions.
type env struct {
	svc      *portal.Service
	store    *boltdb.Store
	sessions *fakeSessions
	shares   *shares.Shares
	tokens   *auth.Tokens
	logins   *auth.Logins
	authn    *auth.Authenticator
	now      time.Time
	// alice's grants: desktop (sharing allowed), webapp (not allowed),
	// missing (an image Docker does not have); bob's desktop.
	aliceDesktop, aliceWebapp, aliceMissing, bobDesktop string
	// dockerDown makes every image lookup fail as an absent Docker would.
	dockerDown bool
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := t.Context()
	store, err := boltdb.Init(filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	e := &env{store: store, sessions: newFakeSessions(), now: time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)}
	for _, img := range []string{desktop, webapp, missing} {
		if err := store.CreateApplication(ctx, accounting.Application{Image: img}); err != nil {
			t.Fatal(err)
		}
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []accounting.User{{Name: "alice", PasswordHash: hash}, {Name: "bob"}, {Name: "carol"}, {Name: "dave", Disabled: true}} {
		if err := store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	grant := func(user, image string, p accounting.Policy) string {
		id, err := store.Grant(ctx, user, image, p)
		if err != nil {
			t.Fatal(err)
		}
		e.sessions.grants[id], e.sessions.images[id] = user, image
		return id
	}
	e.aliceDesktop = grant("alice", desktop, accounting.Policy{AllowView: true})
	e.aliceWebapp = grant("alice", webapp, accounting.Policy{AllowHome: true})
	e.aliceMissing = grant("alice", missing, accounting.Policy{})
	e.bobDesktop = grant("bob", desktop, accounting.Policy{AllowView: true})
	clock := func() time.Time { return e.now }
	if e.shares, err = shares.New(ctx, store, nil, clock); err != nil {
		t.Fatal(err)
	}
	if e.tokens, err = auth.NewTokens(ctx, store, clock); err != nil {
		t.Fatal(err)
	}
	if e.logins, err = auth.NewLogins(ctx, store, time.Hour, 24*time.Hour, clock); err != nil {
		t.Fatal(err)
	}
	e.authn = auth.NewAuthenticator(store, false, nil, clock)
	e.svc = portal.New(portal.Deps{
		Accounts: store, Sessions: e.sessions, Image: e.image, Shares: e.shares, Tokens: e.tokens,
		Logins: e.logins, Audit: audit.NewLog(store, zerolog.Nop()), Now: clock, Authenticator: e.authn,
	})
	return e
}

// image describes the two installed images.
func (e *env) image(_ context.Context, ref string) (protocol.Image, error) {
	if e.dockerDown {
		return protocol.Image{}, session.ErrUnavailable
	}
	switch ref {
	case desktop:
		return protocol.ParseImage(ref, "sha256:d1", map[string]string{protocol.Namespace + "ui_name": "Desktop", protocol.Namespace + "type": protocol.TypeVNC})
	case webapp:
		return protocol.ParseImage(ref, "sha256:w1", map[string]string{protocol.Namespace + "ui_name": "Web app", protocol.Namespace + "type": protocol.TypeWeb})
	}
	return protocol.Image{}, session.ErrImageNotFound
}

// as is a request context of user from address.
func as(t *testing.T, user string) context.Context {
	return audit.WithActor(t.Context(), audit.Actor{Name: user, Address: address})
}

// start runs one of the grants, failing the test if it does not.
func (e *env) start(t *testing.T, user, mapping string) session.Started {
	t.Helper()
	rt, err := e.svc.Start(as(t, user), user, mapping, nil)
	if err != nil {
		t.Fatalf("starting %s for %s: %v", mapping, user, err)
	}
	return rt
}

// entries are the audit log's entries since the test's start, oldest
// first.
func (e *env) entries(t *testing.T) []audit.Entry {
	t.Helper()
	list, _, err := e.store.AuditEntries(t.Context(), 0, audit.MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list
}

// last is the newest audit entry; it fails the test when there is none.
func (e *env) last(t *testing.T) audit.Entry {
	t.Helper()
	list := e.entries(t)
	if len(list) == 0 {
		t.Fatal("the audit log is empty")
	}
	return list[len(list)-1]
}

// wantEntry checks the newest audit entry.
func (e *env) wantEntry(t *testing.T, action, target, detail, result string) {
	t.Helper()
	got := e.last(t)
	detailOK := got.Detail == detail || result == audit.ResultFailed && (detail == "" || strings.HasPrefix(got.Detail, detail+"; "))
	if got.Action != action || got.Target != target || !detailOK || got.Result != result || got.Actor == "" {
		t.Errorf("audit entry = %+v, want %s of %s, detail %q, %s", got, action, target, detail, result)
	}
}

// noNewEntry checks that nothing was recorded since n entries.
func (e *env) noNewEntry(t *testing.T, n int) {
	t.Helper()
	if list := e.entries(t); len(list) != n {
		t.Errorf("%d new audit entries, want none: %+v", len(list)-n, list[n:])
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want %v", what, err, target)
	}
}
