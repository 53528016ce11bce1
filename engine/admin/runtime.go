package admin

import "time"

// Session is a running session as administrators see it.
type Session struct {
	URLID      string
	MappingID  string
	User       string
	Image      string
	URLPath    string // /user/{name}/containers/{url_id}/
	Started    time.Time
	LastActive time.Time
	// Viewers are the users the owner shares it with.
	Viewers []Viewer
}

// Viewer is a share of a session.
type Viewer struct {
	User    string
	Mode    string     // "view" or "control"
	Expires *time.Time // nil: until the session ends
}

// Share lets User use Owner's running session URLID of Image.
type Share struct {
	URLID, Owner, Image string
	User                string
	Mode                string     // "view" or "control"
	Expires             *time.Time // nil: until the session ends
}

// Stats is the appliance's activity.
type Stats struct {
	Realm           string
	Users           int
	ActiveUsers     int // users with a running session
	Applications    int
	RunningSessions int
	SignedInUsers   int
	// Starts24h and Failures24h count the session starts, successful and
	// failed, of the last 24 hours.
	Starts24h   int
	Failures24h int
	// PerApplication counts the running sessions per image.
	PerApplication map[string]int
	// Docker is "ok", or what is wrong with the Docker Engine.
	Docker string
	// DataBytes and HomesBytes are the disk use of the data directory and
	// of the users' homes in it; -1 when unknown.
	DataBytes  int64
	HomesBytes int64
	// Running is the number of running sessions over the last 24 hours,
	// one sample per 10 minutes, oldest first.
	Running []Sample
	// StartTimes are the session starts per hour over the last 24 hours,
	// oldest first.
	StartTimes []StartTimes
}

// Sample is the number of running sessions in the 10 minutes from Time on
// (the most at once).
type Sample struct {
	Time  time.Time
	Count int
}

// StartTimes are the successful session starts of the hour from Hour on,
// and how long they took (0 when not known).
type StartTimes struct {
	Hour     time.Time
	Starts   int
	P50, P95 time.Duration
}

// Info is what every admin page shows about the appliance, and what the
// desktop console shows about its process.
type Info struct {
	Realm    string
	Backend  string // "bbolt" or "csv"
	ReadOnly bool
	// Warnings are what administrators should know on every page, such
	// as sessions sharing the portal's origin.
	Warnings []string
	// Version and Commit are those of the program that answers (see
	// engine/version).
	Version, Commit string
	// Started, URL, CAFingerprint and PID are those of the running
	// appliance (see Process); zero when none runs.
	Started       time.Time
	URL           string
	CAFingerprint string
	PID           int
}

// Process is what Info says about the running appliance.
type Process struct {
	// Started is when it started.
	Started time.Time
	// URL is the portal's address, such as https://localhost:8443/.
	URL string
	// CAFingerprint is the SHA-256 of the local CA's root certificate, as
	// the sign-in page shows it; nil or "": the local CA is not in use.
	CAFingerprint func() string
	// PID is its process id.
	PID int
}

// Image is a local Docker image.
type Image struct {
	Name    string
	ID      string
	Size    int64 // bytes
	Created time.Time
	// HasProtocol: it carries simphony-remote's labels.
	HasProtocol bool
	// Registered: it is an application in the accounting.
	Registered bool
	// InUse: a running session uses it.
	InUse bool
	// UIName, Type and Description are its labels', when it has them.
	UIName, Type, Description string
	// Icon128 is its icon label: a PNG in base64, checked to be one; ""
	// for none.
	Icon128 string
	// Env are the environment variables it declares, sorted by name.
	Env []DeclaredEnv
	// Configurables are what a user may set when starting it (see
	// protocol.Image.Configurables).
	Configurables []string
}

// DeclaredEnv is an environment variable an image declares, and what the
// appliance gives it ("" when the appliance does not know it).
type DeclaredEnv struct {
	Name, Description string
}

// ImportedImage is one image of an imported tarball.
type ImportedImage struct {
	Name        string
	ID          string
	HasProtocol bool
}

// ImportResult is what an imported tarball held.
type ImportResult struct {
	Images   []ImportedImage // sorted by name
	Warnings []string
}

// BuildResult is a built image.
type BuildResult struct {
	Name        string
	ID          string
	HasProtocol bool
	Log         string // the end of the build's output
}

// StartersBuild is the current or last build of the starter images.
type StartersBuild struct {
	Running  bool
	Started  time.Time // zero: none was ever started
	Finished time.Time // zero while running
	// Log holds the last StartersLogLines progress lines.
	Log []string
	// Err is why the build failed; empty when it did not.
	Err string
}

// StartersLogLines is how many lines of a starters build are kept.
const StartersLogLines = 200
