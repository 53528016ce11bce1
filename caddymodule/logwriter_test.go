package caddymodule

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// Caddy's zap lines become zerolog records at their level, except the
// warning about the admin endpoint, which the appliance turns off on
// purpose: that one is only for debugging.
func TestLogWriterLevels(t *testing.T) {
	var buf bytes.Buffer
	z := &zerologWriter{log: zerolog.New(&buf).Level(zerolog.InfoLevel)}
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
	z.log = z.log.Level(zerolog.DebugLevel)
	_, _ = z.Write([]byte(lines[0] + "\n"))
	if !strings.Contains(buf.String(), `"level":"debug"`) || !strings.Contains(buf.String(), "admin endpoint disabled") {
		t.Errorf("at debug level: %q", buf.String())
	}
}
