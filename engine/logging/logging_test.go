package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestNewFormats(t *testing.T) {
	t.Run("auto on a buffer is JSON", func(t *testing.T) {
		var buf bytes.Buffer
		log, err := New(&buf, "info", "auto")
		if err != nil {
			t.Fatal(err)
		}
		log.Info().Str("user", "alice").Msg("hello")
		var rec map[string]any
		if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
			t.Fatalf("not JSON: %q", buf.String())
		}
		if rec["message"] != "hello" || rec["user"] != "alice" || rec["level"] != "info" || rec["time"] == nil {
			t.Errorf("record = %v", rec)
		}
	})
	t.Run("console is human-readable", func(t *testing.T) {
		var buf bytes.Buffer
		log, _ := New(&buf, "info", "console")
		log.Info().Str("user", "alice").Msg("hello")
		out := buf.String()
		if json.Valid(buf.Bytes()) || !strings.Contains(out, "INF") || !strings.Contains(out, "hello") || !strings.Contains(out, "user=alice") {
			t.Errorf("console output = %q", out)
		}
		if strings.Contains(out, "\x1b[") {
			t.Errorf("colours written to a non-terminal: %q", out)
		}
	})
	t.Run("level filters", func(t *testing.T) {
		var buf bytes.Buffer
		log, _ := New(&buf, "warn", "json")
		log.Info().Msg("quiet")
		log.Warn().Msg("loud")
		if strings.Contains(buf.String(), "quiet") || !strings.Contains(buf.String(), "loud") {
			t.Errorf("output = %q", buf.String())
		}
	})
	for _, bad := range [][2]string{{"verbose", "json"}, {"", "json"}, {"info", "xml"}} {
		if _, err := New(&bytes.Buffer{}, bad[0], bad[1]); err == nil {
			t.Errorf("New(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

// Durations are numbers of milliseconds, so that a field named took_ms
// tells the truth.
func TestDurationsInMilliseconds(t *testing.T) {
	var buf bytes.Buffer
	log, _ := New(&buf, "info", "json")
	log.Info().Dur("took_ms", 1500*time.Millisecond+250*time.Microsecond).Msg("done")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["took_ms"] != 1500.25 {
		t.Errorf("took_ms = %#v, want the number 1500.25: %s", rec["took_ms"], buf.String())
	}
}

func TestIssue(t *testing.T) {
	var buf bytes.Buffer
	log, _ := New(&buf, "info", "json")
	ref := Issue(&log, errors.New("disk on fire"), "starting session")
	if !regexp.MustCompile(`^[0-9a-f]{8}$`).MatchString(ref) {
		t.Fatalf("ref = %q", ref)
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["ref"] != ref || rec["error"] != "disk on fire" || rec["level"] != "error" || rec["message"] != "starting session" {
		t.Errorf("logged %v", rec)
	}
	if Issue(&log, errors.New("x"), "y") == ref {
		t.Error("two issues got the same reference")
	}
}
