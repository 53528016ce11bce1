package wsrelay

import (
	"bufio"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// FuzzHandshake reads any bytes as an HTTP request, as the server does,
// and checks the relay's reading of a WebSocket handshake against RFC 6455
// and against websocket.Accept, which takes the client's side of the
// relay: a request handshake takes is a valid upgrade that Accept takes
// too (so the upstream is never dialled for one Accept would refuse), an
// upgrade is never missed by IsUpgrade (which keeps shared users' upgrades
// away from reverse_proxy), and checkOrigin lets through exactly the
// origins Accept does.
func FuzzHandshake(f *testing.F) {
	valid := "GET /user/alice/containers/0123456789abcdef0123456789abcdef/websockify HTTP/1.1\r\n" +
		"Host: appliance.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	for _, s := range []struct{ req, patterns string }{
		{valid + "\r\n", ""},
		{valid + "Origin: https://appliance.test\r\n\r\n", ""},
		{valid + "Origin: https://evil.example\r\n\r\n", ""},
		{valid + "Origin: https://evil.example\r\n\r\n", "*.example"},
		{valid + "Origin: https://portal.example\r\n\r\n", "https://portal.example"},
		{valid + "Origin: null\r\n\r\n", "["},
		{valid + "Origin: https://evil.example\r\n\r\n", "[,*.example"},
		{valid + "Origin: https://evil.example\r\n\r\n", "*.example,["},
		{valid + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", ""},
		{strings.Replace(valid, "HTTP/1.1", "HTTP/1.0", 1) + "\r\n", ""},
		{strings.Replace(valid, "GET", "POST", 1) + "\r\n", ""},
		{strings.Replace(valid, "Connection: Upgrade", "Connection: keep-alive\r\nConnection: upgrade", 1) + "\r\n", ""},
		{strings.Replace(valid, "Upgrade: websocket", "Upgrade: h2c, WebSocket", 1) + "\r\n", ""},
		{strings.Replace(valid, "13", " 13", 1) + "\r\n", ""},
		{strings.Replace(valid, "dGhlIHNhbXBsZSBub25jZQ==", " dGhlIHNhbXBsZSBub25jZQ== ", 1) + "\r\n", ""},
		{strings.Replace(valid, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ", 1) + "\r\n", ""},
		{"CONNECT appliance.test:443 HTTP/1.1\r\nHost: appliance.test\r\n\r\n", ""},
		{"GET / HTTP/1.1\r\nHost: appliance.test\r\nUpgrade: h2c\r\n\r\n", ""},
	} {
		f.Add([]byte(s.req), s.patterns)
	}
	f.Fuzz(func(t *testing.T, raw []byte, patternList string) {
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(string(raw))))
		if err != nil {
			return
		}
		var patterns []string
		if patternList != "" {
			patterns = strings.Split(patternList, ",")
		}
		ok := handshake(r)
		if ok && !IsUpgrade(r) {
			t.Fatalf("a handshake IsUpgrade misses:\n%s", raw)
		}
		if ok != rfc6455(r) {
			t.Fatalf("handshake = %v, RFC 6455 says %v:\n%s", ok, !ok, raw)
		}
		w := httptest.NewRecorder()
		_, _ = websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		// Past its checks, Accept stops at the recorder, which cannot be
		// hijacked: 501.
		if accepted := w.Code == http.StatusNotImplemented; ok && !accepted {
			t.Fatalf("handshake takes what websocket.Accept refuses (%d):\n%s", w.Code, raw)
		}
		if !ok {
			return
		}
		w = httptest.NewRecorder()
		_, _ = websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: patterns})
		if mine, theirs := checkOrigin(r, patterns) == nil, w.Code == http.StatusNotImplemented; mine != theirs {
			t.Fatalf("checkOrigin lets through: %v, websocket.Accept: %v (%d), for patterns %q:\n%s", mine, theirs, w.Code, patterns, raw)
		}
	})
}

// rfc6455 is section 4.2.1 of RFC 6455, read independently: a GET of
// HTTP/1.1 or later, Connection with the token upgrade, Upgrade with the
// token websocket, version 13, and one key of 16 bytes in base64.
func rfc6455(r *http.Request) bool {
	has := func(key, token string) bool {
		for _, v := range r.Header[key] {
			for _, t := range strings.Split(v, ",") {
				if strings.EqualFold(strings.Trim(t, " \t"), token) {
					return true
				}
			}
		}
		return false
	}
	keys := r.Header["Sec-Websocket-Key"]
	if r.Method != "GET" || r.ProtoMajor < 1 || (r.ProtoMajor == 1 && r.ProtoMinor < 1) ||
		!has("Connection", "upgrade") || !has("Upgrade", "websocket") ||
		len(keys) != 1 || r.Header.Get("Sec-Websocket-Version") != "13" {
		return false
	}
	key, err := base64.StdEncoding.DecodeString(strings.Trim(keys[0], " \t"))
	return err == nil && len(key) == 16
}
