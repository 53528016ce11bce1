package caddymodule

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// openWriter sets log as Caddy's and opens a writer as Caddy does; the
// logger is unset when the test ends.
func openWriter(t *testing.T, log zerolog.Logger) io.WriteCloser {
	t.Helper()
	SetLogger(log)
	t.Cleanup(func() { SetLogger(zerolog.Nop()) })
	w, err := LogWriter{}.OpenWriter()
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// Caddy keeps the writer it opened first for the life of the process,
// across caddy.Run and caddy.Stop: the lines it writes go to the logger
// set last (an appliance started after another one, in tests), with the
// component named.
func TestLogWriterFollowsSetLogger(t *testing.T) {
	var first, second bytes.Buffer
	z := openWriter(t, zerolog.New(&first))
	SetLogger(zerolog.New(&second))
	if _, err := z.Write([]byte(`{"level":"info","ts":1,"logger":"tls","msg":"certificate obtained"}` + "\n")); err != nil {
		t.Fatal(err)
	}
	if first.Len() != 0 || !strings.Contains(second.String(), `"component":"caddy"`) || !strings.Contains(second.String(), "certificate obtained") {
		t.Errorf("the first logger got %q, the one set last %q", first.String(), second.String())
	}
}

// Caddy's zap lines become zerolog records at their level, except the
// warning about the admin endpoint, which the appliance turns off on
// purpose: that one is only for debugging.
func TestLogWriterLevels(t *testing.T) {
	var buf bytes.Buffer
	z := openWriter(t, zerolog.New(&buf).Level(zerolog.InfoLevel))
	lines := []string{
		`{"level":"warn","ts":1,"logger":"admin","msg":"admin endpoint disabled"}`,
		`{"level":"warn","ts":1,"logger":"admin","msg":"something else"}`,
		`{"level":"warn","ts":1,"logger":"http","msg":"admin endpoint disabled"}`,
		`{"level":"info","ts":1,"logger":"tls","msg":"certificate obtained","identifier":"localhost"}`,
	}
	if _, err := z.Write([]byte(strings.Join(lines, "\n") + "\n")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		got = append(got, rec["level"].(string)+" "+rec["logger"].(string)+": "+rec["message"].(string))
	}
	want := []string{"warn admin: something else", "warn http: admin endpoint disabled", "info tls: certificate obtained"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("logged:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	buf.Reset()
	SetLogger(zerolog.New(&buf).Level(zerolog.DebugLevel))
	_, _ = z.Write([]byte(lines[0] + "\n"))
	if !strings.Contains(buf.String(), `"level":"debug"`) || !strings.Contains(buf.String(), "admin endpoint disabled") {
		t.Errorf("at debug level: %q", buf.String())
	}
}

// A session's key and the caller's CSRF token never reach the log, in
// whatever request Caddy logs (the client's, or the one to the upstream),
// however the header's name is written.
func TestLogWriterRedactsSecrets(t *testing.T) {
	var buf bytes.Buffer
	z := openWriter(t, zerolog.New(&buf).Level(zerolog.DebugLevel))
	line := `{"level":"warn","ts":1,"logger":"http.handlers.reverse_proxy","msg":"aborting with incomplete response",` +
		`"request":{"uri":"/x","headers":{"X-Simphony-Session-Key":["key-secret-1"],"X-Csrf-Token":["csrf-secret-2"],"Accept":["*/*"]}},` +
		`"upstream":{"headers":{"x-simphony-session-key":["key-secret-3"]}}}`
	if _, err := z.Write([]byte(line + "\n")); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, secret := range []string{"key-secret-1", "csrf-secret-2", "key-secret-3"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log shows %s: %s", secret, out)
		}
	}
	if !strings.Contains(out, `"Accept":["*/*"]`) || !strings.Contains(out, "REDACTED") {
		t.Errorf("the other headers or the redaction are missing: %s", out)
	}
}
