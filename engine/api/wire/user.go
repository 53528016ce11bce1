package wire

import (
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// The shapes of the user API (/api/v1) and of the newer admin endpoints.
// Times are RFC 3339 in UTC; a nullable time is a *time.Time without
// omitempty, so that it travels as null.

// How a caller authenticated (Me.Auth).
const (
	AuthCookie = "cookie"
	AuthToken  = "token"
)

// Me answers GET /api/v1/me.
type Me struct {
	Name  string `json:"name"`
	Admin bool   `json:"admin"`
	// Auth is AuthCookie or AuthToken.
	Auth string `json:"auth"`
	// CSRFToken is what unsafe requests signed in with the cookie send in
	// the X-CSRF-Token header; absent for a token.
	CSRFToken string `json:"csrf_token,omitempty"`
}

// Image types (Image.Type, SharedSession.Type).
const (
	ImageVNC = "vncapp" // a desktop shown with noVNC
	ImageWeb = "webapp" // any web application
)

// Configurables an image may support (Image.Configurables,
// StartRequest.Configurables).
const (
	ConfigResolution  = "resolution"
	ConfigStartupData = "startupdata"
)

// Image is an application image as its labels describe it. When Available
// is false the image is not in Docker and only Name is meaningful.
type Image struct {
	Name        string `json:"name"`
	UIName      string `json:"ui_name"`
	Icon128     string `json:"icon_128"` // base64 PNG, or ""
	Description string `json:"description"`
	Type        string `json:"type"` // ImageVNC, ImageWeb or ""
	// Configurables lists what a start may set: ConfigResolution,
	// ConfigStartupData. Never null.
	Configurables []string `json:"configurables"`
	Available     bool     `json:"available"`
}

// PolicyOf is p in its JSON form. (accounting.Policy writes the same JSON,
// but reading it back validates and rejects unknown fields, which a client
// must not do; Policy reads it leniently.)
func PolicyOf(p accounting.Policy) Policy {
	return Policy{
		AppLicense: p.AppLicense, AllowHome: p.AllowHome, AllowView: p.AllowView,
		VolumeSource: p.Volume.Source, VolumeTarget: p.Volume.Target, VolumeMode: p.Volume.Mode,
		AllowStartupData: p.AllowStartupData,
	}
}

// Container is a running session.
type Container struct {
	URLID     string `json:"url_id"`     // 32 hex
	MappingID string `json:"mapping_id"` // the grant it runs under
	User      string `json:"user"`       // its owner
	Image     string `json:"image"`
	// URLPath is /user/{user}/containers/{url_id}/, and URL the same on
	// the appliance's address.
	URLPath    string    `json:"urlpath"`
	URL        string    `json:"url"`
	Started    time.Time `json:"started"`
	LastActive time.Time `json:"last_active"`
}

// UserApplication is one of the caller's grants (GET /api/v1/applications),
// the spec's "Application" (Application is the admin API's).
type UserApplication struct {
	MappingID string `json:"mapping_id"`
	Image     Image  `json:"image"`
	Policy    Policy `json:"policy"`
	// Container is the grant's running session, or null.
	Container *Container `json:"container"`
	// RunningKnown is false when Docker did not answer: Container is then
	// what the appliance last knew, and may be out of date (the images are
	// listed with available false).
	RunningKnown bool `json:"running_known"`
}

// StartRequest is the body of POST /api/v1/containers.
type StartRequest struct {
	MappingID string `json:"mapping_id"`
	// Configurables are optional: ConfigResolution ("1280x800"),
	// ConfigStartupData (a path in the container).
	Configurables map[string]string `json:"configurables,omitempty"`
}

// Share modes.
const (
	ShareView    = "view"
	ShareControl = "control"
)

// Share lets another user into a running session.
type Share struct {
	User    string     `json:"user"`
	Mode    string     `json:"mode"` // ShareView or ShareControl
	Created time.Time  `json:"created"`
	Expires *time.Time `json:"expires"` // null: until unshared or stopped
}

// ShareRequest is the body of POST /api/v1/containers/{url_id}/shares. It
// replaces an existing share with the same user.
type ShareRequest struct {
	User    string     `json:"user"`
	Mode    string     `json:"mode"`
	Expires *time.Time `json:"expires"`
}

// SharedSession is a session another user shares with the caller
// (GET /api/v1/shared). For a vncapp shared for viewing, URL opens noVNC
// view-only.
type SharedSession struct {
	URLID   string     `json:"url_id"`
	Owner   string     `json:"owner"`
	Image   string     `json:"image"`
	UIName  string     `json:"ui_name"`
	Type    string     `json:"type"`
	Mode    string     `json:"mode"`
	Expires *time.Time `json:"expires"`
	URLPath string     `json:"urlpath"`
	URL     string     `json:"url"`
}

// Token is an API token. Secret ("token") is set only in the answer to its
// creation: the server keeps a hash.
type Token struct {
	ID       string     `json:"id"` // 16 hex
	Name     string     `json:"name"`
	Created  time.Time  `json:"created"`
	Expires  *time.Time `json:"expires"`
	LastUsed *time.Time `json:"last_used"`
	Secret   string     `json:"token,omitempty"` // "sr_" + 43 base64url characters
}

// TokenRequest is the body of POST /api/v1/tokens.
type TokenRequest struct {
	Name    string     `json:"name"`
	Expires *time.Time `json:"expires"` // null: never
}

// Event kinds (Event.Kind, and the SSE event name).
const (
	EventProgress = "progress"
	EventStarted  = "started"
	EventStopped  = "stopped"
	EventFailed   = "failed"
)

// Event is the data of one Server-Sent Event of GET /api/v1/events.
type Event struct {
	Kind      string    `json:"kind"`
	User      string    `json:"user"`
	MappingID string    `json:"mapping_id"`
	URLID     string    `json:"url_id"`
	Step      string    `json:"step"`
	Message   string    `json:"message"`
	Time      time.Time `json:"time"`
}

// AdminStats answers GET /api/v1/admin/stats.
type AdminStats struct {
	Realm           string `json:"realm"`
	Users           int    `json:"users"`
	ActiveUsers     int    `json:"active_users"`
	Applications    int    `json:"applications"`
	RunningSessions int    `json:"running_sessions"`
	SignedInUsers   int    `json:"signed_in_users"`
	// The session starts (successful, failed) of the last 24 hours.
	Starts24h   int `json:"starts_24h"`
	Failures24h int `json:"failures_24h"`
	// PerApplication counts the running sessions per image.
	PerApplication map[string]int `json:"per_application"`
	// Docker is "ok" or what is wrong with the Docker Engine.
	Docker string `json:"docker"`
	// Disk use of the data directory and the homes in bytes, -1 unknown.
	DataBytes  int64 `json:"data_bytes"`
	HomesBytes int64 `json:"homes_bytes"`
	// Running sessions over the last 24 hours, one sample per 10 minutes.
	Running []RunningSample `json:"running"`
	// StartTimes are the starts per hour over the last 24 hours.
	StartTimes []StartTimes `json:"start_times"`
}

// ImageInfo is a local Docker image (GET /api/v1/admin/images).
type ImageInfo struct {
	Name        string `json:"name"`
	ID          string `json:"id"`
	UIName      string `json:"ui_name"`
	Type        string `json:"type"`
	Description string `json:"description"`
	// HasProtocol is true when the image carries simphony-remote's labels.
	HasProtocol bool `json:"has_protocol"`
	// Registered is true when it is an application in the accounting.
	Registered bool  `json:"registered"`
	Size       int64 `json:"size"` // bytes
	// Created is when the image was built.
	Created time.Time `json:"created"`
	// InUse is true when a running session uses it.
	InUse bool `json:"in_use"`
	// Icon128 is its icon label, a PNG in base64; "" for none.
	Icon128 string `json:"icon_128"`
	// Env are the environment variables it declares, sorted by name.
	Env []DeclaredEnv `json:"env"`
	// Configurables are what a user may set when starting it.
	Configurables []string `json:"configurables"`
}

// DeclaredEnv is an environment variable an image declares, and what the
// appliance gives it ("" when the appliance does not know it).
type DeclaredEnv struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// ImportedImage is one image of an imported tarball.
type ImportedImage struct {
	Name        string `json:"name"`
	ID          string `json:"id"`
	HasProtocol bool   `json:"has_protocol"`
}

// ImportResult answers POST /api/v1/admin/images/import.
type ImportResult struct {
	Images   []ImportedImage `json:"images"`
	Warnings []string        `json:"warnings"`
}

// BuildResult answers POST /api/v1/admin/images/build.
type BuildResult struct {
	Name        string `json:"name"`
	ID          string `json:"id"`
	HasProtocol bool   `json:"has_protocol"`
	Log         string `json:"log"`
}
