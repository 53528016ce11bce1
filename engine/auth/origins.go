package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// OriginCookieName is the cookie that signs a browser in on one session's
// origin (https://{url_id}.{host}), and nowhere else: host-only, so the
// portal and the other sessions never see it. The proxy strips it, as
// every __Host-simphony cookie, from what reaches the session.
const OriginCookieName = "__Host-simphony-origin"

// FramedCookieName is the origin's cookie for a session shown in a frame
// of the portal (its toolbar page), where the browser counts the session's
// origin as another site than the portal's (*.localhost beside localhost):
// there it neither sets nor sends the SameSite=Lax OriginCookieName. This
// one is SameSite=None but Partitioned (CHIPS): the browser keeps it apart
// for each top-level site, and sends it only under the site it was set
// under, the portal's. The appliance takes it only from requests of the
// session's own pages and from the frame's navigations (FramedOK).
const FramedCookieName = "__Host-simphony-origin-framed"

// TicketTTL is how long a ticket into a session's origin lasts: the time
// of a redirect.
const TicketTTL = 60 * time.Second

// maxTickets bounds the tickets waiting to be redeemed; each is a
// redirect in flight. perLogin bounds those of one login, so that one
// browser cannot use them all up: beyond it, its oldest ticket goes.
const (
	maxTickets = 10_000
	perLogin   = 16
)

// ErrNoTicket is the refusal of a ticket to a caller that is not a
// browser signed in with a login cookie, or when too many wait.
var ErrNoTicket = errors.New("no ticket into a session's origin for this caller")

// Origins carries a browser's sign-in from the portal to a session's own
// origin: the portal gives a single-use ticket, bound to the session, the
// user and the login, that the session's origin redeems for a cookie of
// its own. That cookie names the login (by the hash the server keeps of
// it) and the session, signed with a key that lives as long as the
// process: it is only valid on that session's origin, for as long as the
// login stands, and its holder's access is judged again on every request.
type Origins struct {
	res *Resolver
	key []byte
	now func() time.Time

	mu      sync.Mutex
	tickets map[string]ticket   // by HashID of the ticket
	byLogin map[string][]string // a login's tickets, oldest first
}

type ticket struct {
	urlID, login string // login: the login's IDHash
	expires      time.Time
}

// NewOrigins returns the hand-off between the portal and the sessions'
// origins, resolving logins and users with res.
func NewOrigins(res *Resolver, now func() time.Time) *Origins {
	if now == nil {
		now = time.Now
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go ≥ 1.24).
	return &Origins{res: res, key: key, now: now, tickets: map[string]ticket{}, byLogin: map[string][]string{}}
}

// Ticket gives id, a browser signed in on the portal, a ticket into the
// origin of session urlID. The caller has checked that id may use it.
func (o *Origins) Ticket(id Identity, urlID string) (string, error) {
	if id.Via != ViaCookie || id.Login.IDHash == "" {
		return "", ErrNoTicket
	}
	secret := randomToken()
	now := o.now()
	o.mu.Lock()
	defer o.mu.Unlock()
	login := id.Login.IDHash
	if mine := o.byLogin[login]; len(mine) >= perLogin {
		o.drop(mine[0])
	}
	if len(o.tickets) >= maxTickets {
		for k, t := range o.tickets {
			if now.After(t.expires) {
				o.drop(k)
			}
		}
		if len(o.tickets) >= maxTickets {
			return "", ErrNoTicket
		}
	}
	h := HashID(secret)
	o.tickets[h] = ticket{urlID: urlID, login: login, expires: now.Add(TicketTTL)}
	o.byLogin[login] = append(o.byLogin[login], h)
	return secret, nil
}

// drop forgets the ticket h. The caller holds o.mu.
func (o *Origins) drop(h string) {
	t, ok := o.tickets[h]
	if !ok {
		return
	}
	delete(o.tickets, h)
	mine := slices.DeleteFunc(o.byLogin[t.login], func(k string) bool { return k == h })
	if len(mine) == 0 {
		delete(o.byLogin, t.login)
	} else {
		o.byLogin[t.login] = mine
	}
}

// Redeem spends a ticket on the origin of session urlID and returns the
// cookie that signs the browser in there, and who it is. A ticket works
// once, before it expires, on its own session's origin, while its login
// stands.
func (o *Origins) Redeem(ctx context.Context, secret, urlID string) (*http.Cookie, Identity, bool) {
	h := HashID(secret)
	o.mu.Lock()
	t, ok := o.tickets[h]
	o.drop(h)
	o.mu.Unlock()
	if !ok || o.now().After(t.expires) || t.urlID != urlID {
		return nil, Identity{}, false
	}
	id, ok := o.login(ctx, t.login)
	if !ok {
		return nil, Identity{}, false
	}
	// Lax, not Strict: the browser arrives from the portal, which is
	// another site where the session's name is not under the portal's
	// registrable domain (*.localhost), and a Strict cookie set in that
	// redirect chain is not sent at its end. Cross-site requests other
	// than top-level GETs still go without it, and the proxy refuses
	// unsafe cross-site requests anyway.
	c := &http.Cookie{
		Name: OriginCookieName, Value: t.login + "." + o.sign(urlID, t.login), Path: "/",
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
	}
	return c, id, true
}

// Framed is the twin of an origin's cookie for a session's origin entered
// in a frame (FramedCookieName).
func Framed(c *http.Cookie) *http.Cookie {
	f := *c
	f.Name, f.SameSite, f.Partitioned = FramedCookieName, http.SameSiteNoneMode, true
	return &f
}

// FramedOK says whether r may sign in with the framed cookie: it is the
// navigation of a frame (the toolbar page's), or a request of the
// session's own pages (same origin: their scripts, styles, API calls and
// WebSockets), as the browser says in Sec-Fetch-*, or, on a WebSocket
// handshake, which Chromium sends without them, in Origin. A cross-site
// request from another page under the portal's site (an image, a script)
// does not.
func FramedOK(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Dest") {
	case "iframe", "frame":
		return r.Header.Get("Sec-Fetch-Mode") == "navigate"
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	origins := r.Header.Values("Origin")
	return len(origins) == 1 && origins[0] == "https://"+r.Host
}

// Identify returns the caller of a request on the origin of session urlID:
// an API token in the Authorization header (clients other than browsers),
// else the origin's cookie, or its framed twin (FramedOK), whose login
// must still stand.
func (o *Origins) Identify(r *http.Request, urlID string) (Identity, bool) {
	for _, h := range r.Header.Values("Authorization") {
		if _, ok := TokenOf(h); ok {
			return o.res.Identify(r)
		}
	}
	if id, ok := o.identifyCookie(r, OriginCookieName, urlID); ok {
		return id, true
	}
	if FramedOK(r) {
		return o.identifyCookie(r, FramedCookieName, urlID)
	}
	return Identity{}, false
}

// identifyCookie is the caller signed in by the origin's cookie name.
func (o *Origins) identifyCookie(r *http.Request, name, urlID string) (Identity, bool) {
	c, err := r.Cookie(name)
	if err != nil {
		return Identity{}, false
	}
	login, mac, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(o.sign(urlID, login))) {
		return Identity{}, false
	}
	return o.login(r.Context(), login)
}

// login is the identity of a login that still stands, by its IDHash.
func (o *Origins) login(ctx context.Context, idHash string) (Identity, bool) {
	l, ok := o.res.Logins.ResolveHash(idHash)
	if !ok {
		return Identity{}, false
	}
	return o.res.identity(ctx, l.User, Identity{Via: ViaCookie, Login: l})
}

func (o *Origins) sign(urlID, login string) string {
	m := hmac.New(sha256.New, o.key)
	m.Write([]byte("simphony-remote origin\x00" + urlID + "\x00" + login))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
