package web

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestSessionPageCSP(t *testing.T) {
	for _, tc := range []struct{ sessionHost, host, want string }{
		{"", "127.0.0.1:8443", "default-src 'self'; frame-src 'self'; "},
		{"localhost", "localhost:8443", "default-src 'self'; frame-src 'self' https://*.localhost:8443; "},
		{"lab.example.org", "lab.example.org", "default-src 'self'; frame-src 'self' https://*.lab.example.org; "},
	} {
		got := sessionPageCSP(tc.sessionHost, tc.host)
		if !strings.HasPrefix(got, tc.want) || !strings.Contains(got, "frame-ancestors 'self'") || strings.Count(got, "frame-src") != 1 {
			t.Errorf("sessionPageCSP(%q, %q) = %q, want it to begin with %q", tc.sessionHost, tc.host, got, tc.want)
		}
	}
}

func TestSessionBack(t *testing.T) {
	id := strings.Repeat("ab", 16)
	for back, want := range map[string]string{
		"/sessions/" + id:               "/sessions/" + id,
		"/":                             "/",
		"":                              "/",
		"/sessions/" + id + "/../x":     "/",
		"//evil.example/sessions/" + id: "/",
		"https://evil.example/":         "/",
		"/sessions/short":               "/",
	} {
		r := httptest.NewRequest("POST", "/share", strings.NewReader(url.Values{"back": {back}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if got := sessionBack(r); got != want {
			t.Errorf("sessionBack(%q) = %q, want %q", back, got, want)
		}
	}
}

// TestSessionFrameDelegatesNoClipboardRead: the frame holds whatever the
// session serves (another user's, when shared), on another origin than the
// portal. Delegating clipboard-read to it would let that page read the
// user's clipboard under the permission the browser asks for (and keeps)
// in the portal's name; noVNC has a clipboard panel of its own and needs
// none.
func TestSessionFrameDelegatesNoClipboardRead(t *testing.T) {
	h, err := New(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	id := strings.Repeat("ab", 16)
	h.render(w, 200, "session", page{Session: &sessionView{URLID: id, Name: "Desktop", Owner: "mallory", Mode: "control",
		Frame: "/user/mallory/containers/" + id + "/", Desktop: true}})
	body := w.Body.String()
	i := strings.Index(body, `<iframe id="session-frame"`)
	if i < 0 {
		t.Fatalf("no session frame in\n%s", body)
	}
	frame := body[i : i+strings.Index(body[i:], ">")]
	if strings.Contains(frame, "clipboard-read") {
		t.Errorf("the session's frame may read the clipboard: %s", frame)
	}
}
