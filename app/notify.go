package app

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/simphony/simphony-remote/engine/session"
)

// Notifier shows a desktop notification.
type Notifier func(title, body string) error

// DesktopNotify is a Notifier over the freedesktop notification service
// (org.freedesktop.Notifications on the session bus), which every Linux
// desktop runs.
func DesktopNotify(title, body string) error {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return fmt.Errorf("no desktop session bus for notifications: %w", err)
	}
	defer conn.Close()
	obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	call := obj.Call("org.freedesktop.Notifications.Notify", 0,
		"SimPhoNy Remote", uint32(0), "dialog-warning", title, body, []string{}, map[string]dbus.Variant{}, int32(-1))
	if call.Err != nil {
		return fmt.Errorf("showing a notification: %w", call.Err)
	}
	return nil
}

// failedStart is a failed session start, as its log line says.
type failedStart struct {
	Component string `json:"component"`
	Message   string `json:"message"`
	User      string `json:"user"`
	MappingID string `json:"mapping_id"`
	Error     string `json:"error"`
}

// failedStartOf reads a log line: ok when it says a session failed to
// start.
func failedStartOf(line string) (failedStart, bool) {
	var f failedStart
	if json.Unmarshal([]byte(line), &f) != nil || f.Component != "sessions" || f.Message != session.StartFailedMessage {
		return failedStart{}, false
	}
	return f, true
}

// WatchFailures follows the appliance's log and shows a notification for
// every session that fails to start, until ctx ends. It starts at the end
// of the log (what failed before the console opened is on its pages),
// waits for the appliance when it does not run, and reads the log of an
// appliance that started again from its beginning.
func (m *Machine) WatchFailures(ctx context.Context, notify Notifier, every time.Duration) {
	var w watch
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		m.follow(ctx, &w, notify)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// watch is where WatchFailures is: the start of the appliance whose log it
// follows (zero: none yet), and the number of the last line it read.
type watch struct {
	started time.Time
	next    uint64
}

// follow reads the log's new lines, and notifies their failed starts.
func (m *Machine) follow(ctx context.Context, w *watch, notify Notifier) {
	defer func() {
		if r := recover(); r != nil {
			m.Log.Error().Str("panic", fmt.Sprint(r)).Bytes("stack", debug.Stack()).Msg("watching for failed starts panicked")
		}
	}()
	ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	info, err := m.Appliance.Info(ictx)
	if err != nil {
		return // not running: later
	}
	skip := false
	if !info.Started.Equal(w.started) {
		// The first appliance seen: only what happens from now on. One
		// that started again: its whole log is new.
		skip = w.started.IsZero()
		w.started, w.next = info.Started, 0
	}
	for {
		page, err := m.LogAfter(w.next)
		if err != nil {
			return
		}
		w.next = page.Next
		for _, l := range page.Lines {
			if f, ok := failedStartOf(l); ok && !skip {
				body := fmt.Sprintf("%s could not start an application (mapping %s): %s", f.User, f.MappingID, f.Error)
				if err := notify("A session failed to start", body); err != nil {
					m.Log.Warn().Err(err).Msg("a session failed to start; the desktop notification failed")
				}
			}
		}
		if len(page.Lines) < logPage {
			return
		}
	}
}
