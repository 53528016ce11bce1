package wire

import (
	"encoding/json"
	"time"
)

// AdminContainer is a running session as GET /api/v1/admin/containers
// shows it: Container's fields and the session's viewers.
type AdminContainer struct {
	URLID      string    `json:"url_id"`
	MappingID  string    `json:"mapping_id"`
	User       string    `json:"user"`
	Image      string    `json:"image"`
	URLPath    string    `json:"urlpath"`
	URL        string    `json:"url"`
	Started    time.Time `json:"started"`
	LastActive time.Time `json:"last_active"`
	Viewers    []Viewer  `json:"viewers"`
}

// Viewer is a share of a running session.
type Viewer struct {
	User    string     `json:"user"`
	Mode    string     `json:"mode"`
	Expires *time.Time `json:"expires,omitempty"`
}

// AdminShare is a share that goes with a user (GET /api/v1/admin/shares?user=):
// user may use owner's running session url_id of image.
type AdminShare struct {
	URLID   string     `json:"url_id"`
	Owner   string     `json:"owner"`
	Image   string     `json:"image"`
	User    string     `json:"user"`
	Mode    string     `json:"mode"`
	Expires *time.Time `json:"expires,omitempty"`
}

// RunningSample is the most sessions running at once in the 10 minutes
// from Time on.
type RunningSample struct {
	Time  time.Time `json:"time"`
	Count int       `json:"count"`
}

// StartTimes are the successful starts of the hour from Hour on and their
// median and 95th percentile durations in milliseconds (0: unknown).
type StartTimes struct {
	Hour   time.Time `json:"hour"`
	Starts int       `json:"starts"`
	P50MS  int64     `json:"p50_ms"`
	P95MS  int64     `json:"p95_ms"`
}

// AdminInfo answers GET /api/v1/admin/info. Started, URL, CAFingerprint
// and PID are those of the running appliance: null, "" and 0 when none runs.
type AdminInfo struct {
	Realm         string     `json:"realm"`
	Backend       string     `json:"backend"` // bbolt or csv
	ReadOnly      bool       `json:"read_only"`
	Warnings      []string   `json:"warnings"`
	Version       string     `json:"version"`
	Commit        string     `json:"commit"`
	Started       *time.Time `json:"started"`
	URL           string     `json:"url"`
	CAFingerprint string     `json:"ca_fingerprint"` // "" without the local CA
	PID           int        `json:"pid"`
}

// LogPage answers GET /api/v1/admin/log?after=N&max=M: the appliance's
// recent log lines after the one numbered N, oldest first; Next is the
// after of the next page, Dropped the lines after N no longer kept.
type LogPage struct {
	Lines   []LogLine `json:"lines"`
	Next    uint64    `json:"next"`
	Dropped uint64    `json:"dropped"`
}

// LogLine is a log line: its number and the JSON record.
type LogLine struct {
	Seq  uint64          `json:"seq"`
	Line json.RawMessage `json:"line"`
}

// StartersBuild answers GET and POST /api/v1/admin/starters: the current
// or last build of the starter images.
type StartersBuild struct {
	Running  bool       `json:"running"`
	Started  *time.Time `json:"started,omitempty"`  // absent: none was started
	Finished *time.Time `json:"finished,omitempty"` // absent while running
	Log      []string   `json:"log"`
	Error    string     `json:"error,omitempty"`
}
