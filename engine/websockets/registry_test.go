package websockets

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// closed records the reasons a registered WebSocket was closed with.
type closed struct {
	mu  sync.Mutex
	got []Reason
}

func (c *closed) close(why Reason) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, why)
}

func (c *closed) reasons() []Reason {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Reason(nil), c.got...)
}

func mustOpen(t *testing.T, g *Registry, k Key, c *closed) func() {
	t.Helper()
	done, err := g.Open(k, c.close)
	if err != nil {
		t.Fatalf("Open(%+v): %v", k, err)
	}
	return done
}

func TestCaps(t *testing.T) {
	g := New(Limits{PerUser: 2, Total: 3})
	var c closed
	alice := Key{User: "alice", Kind: Owner}
	done1 := mustOpen(t, g, alice, &c)
	mustOpen(t, g, alice, &c)
	_, err := g.Open(alice, c.close)
	var le *LimitError
	if !errors.As(err, &le) || le.Which != RefusedPerUser || le.Limit != 2 || !errors.Is(err, ErrLimit) {
		t.Fatalf("alice's third: %v, want the per-user cap of 2", err)
	}
	if r := le.Reason(); r.Code != 1008 || r.Text == "" || len(CloseFrame(r)) > 125+2 {
		t.Errorf("per-user reason %+v", r)
	}
	mustOpen(t, g, Key{User: "bob", Kind: Shared}, &c)
	_, err = g.Open(Key{User: "carol", Kind: Owner}, c.close)
	if !errors.As(err, &le) || le.Which != RefusedTotal || le.Reason().Code != 1013 {
		t.Fatalf("carol's first over the total: %v, want the total cap", err)
	}
	if g.Refused(RefusedPerUser) != 1 || g.Refused(RefusedTotal) != 1 {
		t.Errorf("refused: per user %d, total %d", g.Refused(RefusedPerUser), g.Refused(RefusedTotal))
	}
	if g.Count(Owner) != 2 || g.Count(Shared) != 1 || g.CountUser("alice") != 2 {
		t.Errorf("counts: owner %d, shared %d, alice %d", g.Count(Owner), g.Count(Shared), g.CountUser("alice"))
	}
	done1()
	done1() // harmless
	if g.CountUser("alice") != 1 || g.Count(Owner) != 1 {
		t.Fatalf("after done: alice %d, owner %d", g.CountUser("alice"), g.Count(Owner))
	}
	mustOpen(t, g, Key{User: "carol", Kind: Owner}, &c)
	if len(c.reasons()) != 0 {
		t.Errorf("closed without being asked: %v", c.reasons())
	}
}

func TestCloseSelects(t *testing.T) {
	login1, login2, token := LoginCredential("h1"), LoginCredential("h2"), TokenCredential("t1")
	keys := map[string]Key{
		"alice-login1":      {User: "alice", Credential: login1, URLID: "s1", Kind: Owner},
		"alice-login2":      {User: "alice", Credential: login2, URLID: "s1", Kind: Owner},
		"alice-token":       {User: "alice", Credential: token, URLID: "s2", Kind: Owner},
		"bob-share-s1":      {User: "bob", Credential: LoginCredential("h3"), URLID: "s1", Kind: Shared},
		"bob-own-s3":        {User: "bob", Credential: LoginCredential("h3"), URLID: "s3", Kind: Owner},
		"carol-share-on-s2": {User: "carol", Credential: LoginCredential("h4"), URLID: "s2", Kind: Shared},
	}
	tests := []struct {
		name  string
		close func(g *Registry) int
		want  []string
		why   Reason
	}{
		{"sign-out", func(g *Registry) int { return g.CloseCredential(login1, SignedOut) }, []string{"alice-login1"}, SignedOut},
		{"token", func(g *Registry) int { return g.CloseCredential(token, TokenDeleted) }, []string{"alice-token"}, TokenDeleted},
		{"user", func(g *Registry) int { return g.CloseUser("alice", UserRevoked) }, []string{"alice-login1", "alice-login2", "alice-token"}, UserRevoked},
		{"share", func(g *Registry) int { return g.CloseShare("s1", "bob") }, []string{"bob-share-s1"}, ShareRevoked},
		{"share of the owner", func(g *Registry) int { return g.CloseShare("s1", "alice") }, nil, ShareRevoked},
		{"session", func(g *Registry) int { return g.CloseSession("s2", SessionEnded) }, []string{"alice-token", "carol-share-on-s2"}, SessionEnded},
		{"all", func(g *Registry) int { return g.CloseAll(ShuttingDown) }, []string{"alice-login1", "alice-login2", "alice-token", "bob-share-s1", "bob-own-s3", "carol-share-on-s2"}, ShuttingDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := New(Limits{})
			got := map[string]*closed{}
			for name, k := range keys {
				got[name] = &closed{}
				mustOpen(t, g, k, got[name])
			}
			if n := tt.close(g); n != len(tt.want) {
				t.Errorf("closed %d, want %d", n, len(tt.want))
			}
			want := map[string]bool{}
			for _, w := range tt.want {
				want[w] = true
			}
			for name, c := range got {
				r := c.reasons()
				switch {
				case want[name] && (len(r) != 1 || r[0] != tt.why):
					t.Errorf("%s closed with %v, want once with %v", name, r, tt.why)
				case !want[name] && len(r) != 0:
					t.Errorf("%s closed with %v, want open", name, r)
				}
			}
			open := g.Count(Owner) + g.Count(Shared)
			if open != len(keys)-len(tt.want) {
				t.Errorf("%d open after closing, want %d", open, len(keys)-len(tt.want))
			}
			tt.close(g) // again: nothing is closed twice
			for name, c := range got {
				if len(c.reasons()) > 1 {
					t.Errorf("%s closed twice", name)
				}
			}
		})
	}
}

func TestConcurrent(t *testing.T) {
	g := New(Limits{PerUser: 50, Total: 120})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("u%d", i%4)
			for j := range 200 {
				done, err := g.Open(Key{User: user, Credential: LoginCredential(user), URLID: "s", Kind: Owner}, func(Reason) {})
				if err == nil && j%3 == 0 {
					done()
				}
				if j%50 == 0 {
					g.CloseUser(user, UserRevoked)
				}
				if g.CountUser(user) > 50 || g.Count(Owner) > 120 {
					t.Errorf("over a cap: %s %d, total %d", user, g.CountUser(user), g.Count(Owner))
					return
				}
			}
		}()
	}
	wg.Wait()
	g.CloseAll(ShuttingDown)
	if g.Count(Owner) != 0 || g.CountUser("u0") != 0 {
		t.Errorf("left after CloseAll: %d", g.Count(Owner))
	}
}

func TestFitTotal(t *testing.T) {
	for _, tt := range []struct {
		total  int
		nofile uint64
		want   int
	}{
		{2000, 0, 2000},
		{2000, 1 << 20, 2000},
		{2000, 5024, 2000},
		{2000, 4096, 1536},
		// At ulimit -n 1024 a quarter is kept for the rest, not 1024.
		{2000, 1024, 384},
		{2000, 256, 96},
		{2000, 1, 1}, // never 0, which would be no cap
	} {
		if got := FitTotal(tt.total, tt.nofile); got != tt.want {
			t.Errorf("FitTotal(%d, %d) = %d, want %d", tt.total, tt.nofile, got, tt.want)
		}
	}
	if DescriptorLimit() == 0 {
		t.Error("no descriptor limit on a unix system")
	}
}

// After CloseAll (shutdown), a WebSocket that was still being opened is
// refused, not registered and left open.
func TestOpenAfterCloseAll(t *testing.T) {
	g := New(Limits{})
	var c closed
	mustOpen(t, g, Key{User: "alice", URLID: "s", Kind: Owner}, &c)
	if n := g.CloseAll(ShuttingDown); n != 1 {
		t.Fatalf("CloseAll closed %d, want 1", n)
	}
	done, err := g.Open(Key{User: "alice", URLID: "s", Kind: Shared}, c.close)
	if !errors.Is(err, ErrClosed) || done != nil {
		t.Errorf("Open after CloseAll: %v, want ErrClosed", err)
	}
	if g.Count(Owner)+g.Count(Shared) != 0 {
		t.Errorf("registered after CloseAll: %d", g.Count(Owner)+g.Count(Shared))
	}
}
