package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// TokenPrefix starts every API token, so that they are easy to recognise
// (in a leaked file, by a secret scanner).
const TokenPrefix = "sr_"

// ErrTokenNotFound is returned for an unknown token id (or another user's).
var ErrTokenNotFound = errors.New("token not found")

// Token is an API token. Its secret is shown once, at creation; the server
// keeps a SHA-256 of it.
type Token struct {
	ID       string     `json:"id"`
	User     string     `json:"user"`
	Name     string     `json:"name"`
	Hash     string     `json:"hash"`
	Created  time.Time  `json:"created"`
	Expires  *time.Time `json:"expires,omitempty"`
	LastUsed *time.Time `json:"last_used,omitempty"`
}

// TokenStore keeps tokens across restarts.
type TokenStore interface {
	PutTokens(ctx context.Context, tokens ...Token) error
	DeleteTokens(ctx context.Context, ids ...string) error
	Tokens(ctx context.Context) ([]Token, error)
}

// Tokens are the API tokens, served from memory, persisted on change;
// last-used times are written back by Flush.
type Tokens struct {
	store TokenStore
	now   func() time.Time

	mu       sync.RWMutex
	byHash   map[string]*Token
	dirty    map[string]bool // ids whose last use changed
	onRevoke func(id string)
}

// OnRevoke sets what to do when a token is deleted or revoked with its
// user's (removed, disabled, new password): close what it opened, such
// as WebSockets. Set it before use.
func (t *Tokens) OnRevoke(fn func(id string)) { t.onRevoke = fn }

func (t *Tokens) revoked(ids ...string) {
	if t.onRevoke == nil {
		return
	}
	for _, id := range ids {
		t.onRevoke(id)
	}
}

// MaxTokenName bounds a token's name.
const MaxTokenName = 100

// NewTokens loads the stored tokens, dropping expired ones.
func NewTokens(ctx context.Context, store TokenStore, now func() time.Time) (*Tokens, error) {
	if now == nil {
		now = time.Now
	}
	t := &Tokens{store: store, now: now, byHash: map[string]*Token{}, dirty: map[string]bool{}}
	stored, err := store.Tokens(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading API tokens: %w", err)
	}
	var expired []string
	for i := range stored {
		tok := stored[i]
		if tok.Expires != nil && !now().Before(*tok.Expires) {
			expired = append(expired, tok.ID)
			continue
		}
		t.byHash[tok.Hash] = &tok
	}
	if len(expired) > 0 {
		if err := store.DeleteTokens(ctx, expired...); err != nil {
			return nil, fmt.Errorf("dropping expired API tokens: %w", err)
		}
	}
	return t, nil
}

// ErrBadToken marks a request for a token that breaks a rule of its name
// or expiry; the error's text names the rule.
var ErrBadToken = errors.New("bad token request")

type badToken string

func (e badToken) Error() string        { return string(e) }
func (e badToken) Is(target error) bool { return target == ErrBadToken }

// Create makes a token for user and returns its secret, once.
func (t *Tokens) Create(ctx context.Context, user, name string, expires *time.Time) (string, Token, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", Token{}, badToken("a token needs a name (where it is used, e.g. \"laptop\")")
	case len(name) > MaxTokenName:
		return "", Token{}, badToken(fmt.Sprintf("the token name is longer than %d bytes", MaxTokenName))
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", Token{}, badToken("the token name contains a control character")
	}
	now := t.now()
	if expires != nil && !expires.After(now) {
		return "", Token{}, badToken(fmt.Sprintf("the expiry %s is in the past", expires.Format(time.RFC3339)))
	}
	secret := TokenPrefix + randomToken()
	id := make([]byte, 8)
	_, _ = rand.Read(id) // crypto/rand.Read never fails (Go ≥ 1.24).
	tok := Token{ID: hex.EncodeToString(id), User: user, Name: name, Hash: HashID(secret), Created: now.UTC(), Expires: expires}
	if err := t.store.PutTokens(ctx, tok); err != nil {
		return "", Token{}, fmt.Errorf("storing the token: %w", err)
	}
	t.mu.Lock()
	t.byHash[tok.Hash] = &tok
	t.mu.Unlock()
	return secret, tok, nil
}

// Resolve returns the valid token of a secret and notes its use.
func (t *Tokens) Resolve(secret string) (Token, bool) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) != len(TokenPrefix)+43 {
		return Token{}, false
	}
	hash := HashID(secret)
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	tok, ok := t.byHash[hash]
	if !ok {
		return Token{}, false
	}
	if tok.Expires != nil && !now.Before(*tok.Expires) {
		delete(t.byHash, hash)
		t.dirty[tok.ID] = true
		return Token{}, false
	}
	if tok.LastUsed == nil || now.Sub(*tok.LastUsed) > time.Minute {
		used := now.UTC()
		tok.LastUsed = &used
		t.dirty[tok.ID] = true
	}
	return *tok, true
}

// Stands says whether the token id of user exists and has not expired.
func (t *Tokens) Stands(user, id string) bool {
	now := t.now()
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, tok := range t.byHash {
		if tok.ID == id {
			return tok.User == user && (tok.Expires == nil || now.Before(*tok.Expires))
		}
	}
	return false
}

// List returns user's tokens, newest first.
func (t *Tokens) List(user string) []Token {
	t.mu.RLock()
	var out []Token
	for _, tok := range t.byHash {
		if tok.User == user {
			out = append(out, *tok)
		}
	}
	t.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out
}

// Delete removes one of user's tokens; another user's is ErrTokenNotFound.
func (t *Tokens) Delete(ctx context.Context, user, id string) error {
	t.mu.Lock()
	var hash string
	for h, tok := range t.byHash {
		if tok.ID == id && tok.User == user {
			hash = h
		}
	}
	if hash == "" {
		t.mu.Unlock()
		return fmt.Errorf("token %s: %w", id, ErrTokenNotFound)
	}
	delete(t.byHash, hash)
	delete(t.dirty, id)
	t.mu.Unlock()
	t.revoked(id)
	return t.store.DeleteTokens(ctx, id)
}

// RevokeUser removes every token of user (removed or disabled users, new
// passwords) and returns how many there were.
func (t *Tokens) RevokeUser(ctx context.Context, user string) (int, error) {
	var ids []string
	t.mu.Lock()
	for h, tok := range t.byHash {
		if tok.User == user {
			ids = append(ids, tok.ID)
			delete(t.byHash, h)
			delete(t.dirty, tok.ID)
		}
	}
	t.mu.Unlock()
	if len(ids) == 0 {
		return 0, nil
	}
	t.revoked(ids...)
	return len(ids), t.store.DeleteTokens(ctx, ids...)
}

// Flush writes last-use times back and drops expired tokens.
func (t *Tokens) Flush(ctx context.Context) error {
	now := t.now()
	var put []Token
	var del []string
	t.mu.Lock()
	for h, tok := range t.byHash {
		if tok.Expires != nil && !now.Before(*tok.Expires) {
			delete(t.byHash, h)
			t.dirty[tok.ID] = true
		}
	}
	present := map[string]*Token{}
	for _, tok := range t.byHash {
		present[tok.ID] = tok
	}
	for id := range t.dirty {
		if tok, ok := present[id]; ok {
			put = append(put, *tok)
		} else {
			del = append(del, id)
		}
	}
	t.dirty = map[string]bool{}
	t.mu.Unlock()
	if len(put) > 0 {
		if err := t.store.PutTokens(ctx, put...); err != nil {
			return err
		}
	}
	if len(del) > 0 {
		return t.store.DeleteTokens(ctx, del...)
	}
	return nil
}

// Run flushes every FlushInterval until ctx ends, then once more.
func (t *Tokens) Run(ctx context.Context) error {
	tick := time.NewTicker(FlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return t.Flush(context.WithoutCancel(ctx))
		case <-tick.C:
			if err := t.Flush(ctx); err != nil {
				return err
			}
		}
	}
}
