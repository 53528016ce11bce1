package app

import (
	"context"
	"encoding/json"
	"fmt"
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
	Time      time.Time `json:"time"`
	Component string    `json:"component"`
	Message   string    `json:"message"`
	User      string    `json:"user"`
	MappingID string    `json:"mapping_id"`
	Error     string    `json:"error"`
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
// of the log (what failed before the console opened is on its pages), and
// waits for the appliance when it does not run.
func (m *Machine) WatchFailures(ctx context.Context, notify Notifier, every time.Duration) {
	var next uint64
	started := false
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		page, err := m.LogAfter(next)
		switch {
		case err != nil:
			started = false // it may come back with a new ring
		case !started:
			// Skip to the end: only what happens from now on.
			next, started = page.Next, true
			if len(page.Lines) == 500 {
				continue
			}
		default:
			if page.Next < next {
				next = 0 // the appliance restarted: a new ring
				continue
			}
			next = page.Next
			for _, l := range page.Lines {
				f, ok := failedStartOf(l)
				if !ok {
					continue
				}
				body := fmt.Sprintf("%s could not start an application (mapping %s): %s", f.User, f.MappingID, f.Error)
				if err := notify("A session failed to start", body); err != nil {
					m.Log.Warn().Err(err).Msg("a session failed to start; the desktop notification failed")
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
