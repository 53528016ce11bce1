package config

import "fmt"

// WebSockets caps the WebSockets open to sessions (owners' and shared
// users' together). Each costs the appliance two descriptors (the client's
// and the application's) and some memory for as long as it is open.
type WebSockets struct {
	// PerUser is the most one user may hold open at once.
	PerUser int `toml:"per_user"`
	// Total is the most everybody together may hold open at once; the
	// appliance lowers it at start when the process's descriptor limit
	// (RLIMIT_NOFILE) cannot carry it.
	Total int `toml:"total"`
}

// DefaultWebSockets are the default caps: a user with a few desktops and
// notebooks in several tabs stays far below 100; 2000 take about 4,000
// descriptors and 150 MiB.
func DefaultWebSockets() WebSockets { return WebSockets{PerUser: 100, Total: 2000} }

// validateWebSockets checks the caps.
func (l *Loaded) validateWebSockets() error {
	w := l.WebSockets
	fail := func(key, format string, args ...any) error {
		return &Error{Key: key, Source: l.Origin[key], Msg: fmt.Sprintf(format, args...)}
	}
	if w.PerUser < 1 || w.PerUser > 1_000_000 {
		return fail("websockets.per_user", "%d must be from 1 to 1000000", w.PerUser)
	}
	if w.Total < 1 || w.Total > 1_000_000 {
		return fail("websockets.total", "%d must be from 1 to 1000000", w.Total)
	}
	if w.PerUser > w.Total {
		return fail("websockets.per_user", "%d must be at most websockets.total (%d)", w.PerUser, w.Total)
	}
	return nil
}
