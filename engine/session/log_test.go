package session

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/logging"
	"github.com/simphony/simphony-remote/engine/routes"
)

// A log's duration fields carry their unit in their name: "session
// started" says took_ms, a number of milliseconds.
func TestStartLogsTookMilliseconds(t *testing.T) {
	var buf bytes.Buffer
	log, err := logging.New(&buf, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	rt := newFakeRuntime()
	id := accounting.NewMappingID()
	acc := fakeAccounts{grants: map[string]accounting.Grant{id: {MappingID: id, User: "alice", Image: "img"}}}
	m := New(acc, rt, routes.New(), Options{Realm: "r", StartTimeout: 10 * time.Second, Log: log, HomesDir: t.TempDir()})
	r, err := m.Start(t.Context(), "alice", id, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Stop(t.Context(), "alice", r.URLID) })
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if rec["message"] != "session started" {
			continue
		}
		if took, ok := rec["took_ms"].(float64); !ok || took < 0 {
			t.Errorf("took_ms = %#v, want a number of milliseconds: %s", rec["took_ms"], line)
		}
		if _, ok := rec["took"]; ok {
			t.Errorf("a duration without its unit: %s", line)
		}
		return
	}
	t.Fatalf("no \"session started\" line in:\n%s", buf.String())
}
