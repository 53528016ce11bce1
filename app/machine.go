// Package app is the desktop admin console: a native window on the
// appliance's machine that shows the same admin pages as /admin/ (served
// through the window's asset server, over the admin socket) and a "This
// machine" page of what only the host can do. This file and the others
// without a build tag hold everything but the window, so that the plain
// build and its tests need no GTK; console.go (build tag desktop, or dev
// under wails dev) opens it.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/version"
)

// Title is the window's title (the window test finds it by its title).
const Title = "SimPhoNy Remote console"

// Unit is the systemd unit the installer makes.
const Unit = "simphony-remote.service"

// Appliance is what the console asks the appliance, through its admin
// socket (an *admin.Client).
type Appliance interface {
	Info(ctx context.Context) (admin.Info, error)
	Stats(ctx context.Context) (admin.Stats, error)
	Log(ctx context.Context, after uint64, max int) (admin.LogPage, error)
}

// Machine is the console's view of the host, bound into the window: its
// exported methods are what the "This machine" page calls. Every one of
// them recovers from a panic and returns it as an error (in Wails v2.9.2 a
// panic in a bound method would end the application).
type Machine struct {
	// Socket is the appliance's admin socket, DATA_DIR/admin.sock.
	Socket string
	// DataDir is shown in the commands the console suggests.
	DataDir string
	// Appliance talks to the appliance over Socket.
	Appliance Appliance
	// Service controls the systemd unit; nil or failing when there is
	// none.
	Service Service
	// OpenURL opens a URL in the default browser.
	OpenURL func(url string) error
	Log     zerolog.Logger
}

// Status is what the "This machine" page shows. When the appliance cannot
// be reached, Problem says why and Fix what to do.
type Status struct {
	Running bool   `json:"running"`
	Problem string `json:"problem"`
	Fix     string `json:"fix"`
	// Version is the appliance's, ConsoleVersion this console's;
	// VersionWarning says what to do when they differ.
	Version        string `json:"version"`
	ConsoleVersion string `json:"console_version"`
	VersionWarning string `json:"version_warning"`
	Started        string `json:"started"` // RFC 3339; "" when not running
	Uptime         string `json:"uptime"`
	URL            string `json:"url"`
	CAFingerprint  string `json:"ca_fingerprint"`
	Docker         string `json:"docker"`
	PID            int    `json:"pid"`
	Socket         string `json:"socket"`
	// Unit is the systemd unit's state (Service.State), Unit.Error what
	// keeps the console from controlling it.
	Unit UnitState `json:"unit"`
}

// serveCommand is the command that runs the appliance by hand.
func (m *Machine) serveCommand() string {
	return "simphony-remote serve --data " + m.DataDir
}

// Status says whether the appliance runs, what it is, and, when something
// is wrong, what to do.
func (m *Machine) Status() (s Status, err error) {
	defer m.recovered("Status", &err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s = Status{ConsoleVersion: version.Version, Socket: m.Socket}
	s.Unit = m.unitState(ctx)
	defer func() { m.Log.Debug().Bool("running", s.Running).Str("problem", s.Problem).Msg("status") }()
	info, err := m.Appliance.Info(ctx)
	if err != nil {
		s.Problem, s.Fix = m.diagnose(err, s.Unit)
		return s, nil
	}
	s.Running = true
	s.Version, s.URL, s.CAFingerprint, s.PID = info.Version, info.URL, info.CAFingerprint, info.PID
	if !info.Started.IsZero() {
		s.Started = info.Started.Format(time.RFC3339)
		s.Uptime = time.Since(info.Started).Round(time.Second).String()
	}
	if info.Version != version.Version {
		s.VersionWarning = fmt.Sprintf("The appliance runs version %s and this console is version %s: some pages may not work. Install the same version of both (upgrade the older one).", info.Version, version.Version)
	}
	if stats, err := m.Appliance.Stats(ctx); err != nil {
		s.Docker = "unknown: " + err.Error()
	} else {
		s.Docker = stats.Docker
	}
	return s, nil
}

// diagnose turns the error of a call through the socket into what is wrong
// and what to do.
func (m *Machine) diagnose(err error, unit UnitState) (problem, fix string) {
	start := "Start it: " + m.serveCommand()
	if unit.Exists {
		start = "Start it with the Start button, or: sudo systemctl start " + Unit
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "The appliance is not running: there is no admin socket at " + m.Socket + ".", start
	case errors.Is(err, syscall.ECONNREFUSED):
		return "The appliance is not running: nobody answers on its admin socket " + m.Socket + " (it stopped without removing it).", start
	case errors.Is(err, fs.ErrPermission):
		group := "the socket's group"
		if fi, serr := os.Stat(m.Socket); serr == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				group = groupName(st.Gid)
			}
		}
		return "You may not use the appliance's admin socket " + m.Socket + ": it is open to its owner and the group " + group + " only.",
			"Join the group " + group + " (sudo usermod -aG " + group + " $USER), then sign out and in again; or run the console as the appliance's user."
	}
	return "The appliance does not answer on its admin socket " + m.Socket + ": " + err.Error() + ".", "Look at its log (journalctl -u " + Unit + "), or restart it."
}

// groupName is the name of gid, or the number when it has none.
func groupName(gid uint32) string {
	id := strconv.FormatUint(uint64(gid), 10)
	if g, err := user.LookupGroupId(id); err == nil {
		return g.Name
	}
	return id
}

// unitState is the unit's state, never failing: what keeps the console
// from knowing it is in Error.
func (m *Machine) unitState(ctx context.Context) UnitState {
	if m.Service == nil {
		return UnitState{Error: "this console cannot reach systemd"}
	}
	st, err := m.Service.State(ctx, Unit)
	if err != nil {
		st.Error = err.Error()
	}
	return st
}

// StartService starts the appliance's systemd unit and waits for the job.
func (m *Machine) StartService() (err error) {
	defer m.recovered("StartService", &err)
	return m.control("start")
}

// StopService stops the appliance's systemd unit.
func (m *Machine) StopService() (err error) {
	defer m.recovered("StopService", &err)
	return m.control("stop")
}

// RestartService restarts the appliance's systemd unit.
func (m *Machine) RestartService() (err error) {
	defer m.recovered("RestartService", &err)
	return m.control("restart")
}

func (m *Machine) control(verb string) error {
	if m.Service == nil {
		return fmt.Errorf("this console cannot reach systemd: %s the appliance by hand (%s)", verb, m.serveCommand())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := m.Service.Control(ctx, verb, Unit); err != nil {
		return fmt.Errorf("%s %s: %w", verb, Unit, err)
	}
	m.Log.Info().Str("unit", Unit).Str("action", verb).Msg("controlled the appliance's service")
	return nil
}

// OpenPortal opens the appliance's portal in the default browser.
func (m *Machine) OpenPortal() (err error) {
	defer m.recovered("OpenPortal", &err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := m.Appliance.Info(ctx)
	if err != nil {
		problem, _ := m.diagnose(err, UnitState{})
		return errors.New(problem)
	}
	if m.OpenURL == nil {
		return fmt.Errorf("this console cannot open a browser: open %s", info.URL)
	}
	return m.OpenURL(info.URL)
}

// LogPage is a page of the appliance's recent log lines.
type LogPage struct {
	// Lines are JSON log lines (zerolog's), oldest first.
	Lines []string `json:"lines"`
	// Next is what to pass as after next time.
	Next uint64 `json:"next"`
	// Dropped counts lines that went out of the appliance's ring before
	// they were asked for.
	Dropped uint64 `json:"dropped"`
}

// logPage is the most lines LogAfter returns.
const logPage = 500

// LogAfter returns the appliance's log lines after the one numbered after
// (0: the oldest it keeps), at most logPage.
func (m *Machine) LogAfter(after uint64) (p LogPage, err error) {
	defer m.recovered("LogAfter", &err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	page, err := m.Appliance.Log(ctx, after, logPage)
	if err != nil {
		problem, _ := m.diagnose(err, UnitState{})
		return LogPage{Next: after}, errors.New(problem)
	}
	p = LogPage{Lines: make([]string, 0, len(page.Lines)), Next: page.Next, Dropped: page.Dropped}
	for _, l := range page.Lines {
		p.Lines = append(p.Lines, string(l.Line))
	}
	return p, nil
}

// recovered turns a panic in a bound method into its error, logged with
// the stack, so that a bug shows as a message and the window stays.
func (m *Machine) recovered(method string, err *error) {
	if r := recover(); r != nil {
		m.Log.Error().Str("method", method).Str("panic", fmt.Sprint(r)).Bytes("stack", debug.Stack()).Msg("a console method panicked")
		*err = fmt.Errorf("the console hit a bug in %s (%v); it keeps running, and its log has the details", method, r)
	}
}
