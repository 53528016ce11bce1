package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// Service controls the appliance's systemd unit.
type Service interface {
	// State is the unit's state; Exists is false when systemd does not
	// know it.
	State(ctx context.Context, unit string) (UnitState, error)
	// Control runs "start", "stop" or "restart" on the unit and waits for
	// the job to finish.
	Control(ctx context.Context, verb, unit string) error
}

// UnitState is what systemd says of a unit.
type UnitState struct {
	Exists bool `json:"exists"`
	// Active is systemd's ActiveState ("active", "inactive", "failed",
	// "activating", …), Sub its SubState.
	Active string `json:"active"`
	Sub    string `json:"sub"`
	// Error says why the console cannot tell or control the unit.
	Error string `json:"error"`
}

// Systemd is Service over systemd's D-Bus API (the system bus), through
// go-systemd: whether the caller may start or stop the unit is systemd's
// and polkit's decision.
type Systemd struct{}

// connect opens a connection to systemd, saying clearly when there is none.
func connect(ctx context.Context) (*sddbus.Conn, error) {
	c, err := sddbus.NewSystemConnectionContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("systemd does not answer on the system bus on this machine (%v): the appliance is not run as a systemd service here", err)
	}
	return c, nil
}

// State implements Service.
func (Systemd) State(ctx context.Context, unit string) (UnitState, error) {
	c, err := connect(ctx)
	if err != nil {
		return UnitState{}, err
	}
	defer c.Close()
	props, err := c.GetUnitPropertiesContext(ctx, unit)
	if err != nil {
		return UnitState{}, fmt.Errorf("asking systemd about %s: %w", unit, err)
	}
	st := UnitState{Active: str(props["ActiveState"]), Sub: str(props["SubState"])}
	st.Exists = str(props["LoadState"]) == "loaded"
	return st, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// Control implements Service.
func (Systemd) Control(ctx context.Context, verb, unit string) error {
	c, err := connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	done := make(chan string, 1)
	switch verb {
	case "start":
		_, err = c.StartUnitContext(ctx, unit, "replace", done)
	case "stop":
		_, err = c.StopUnitContext(ctx, unit, "replace", done)
	case "restart":
		_, err = c.RestartUnitContext(ctx, unit, "replace", done)
	default:
		return fmt.Errorf("unknown action %q: want start, stop or restart", verb)
	}
	if err != nil {
		return explain(err, verb, unit)
	}
	select {
	case result := <-done:
		if result != "done" {
			return fmt.Errorf("systemd's job ended %q: see journalctl -u %s", result, unit)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("systemd's job did not finish: %w", ctx.Err())
	}
}

// explain says what to do when systemd refuses.
func explain(err error, verb, unit string) error {
	var de dbus.Error
	if errors.As(err, &de) && (strings.HasSuffix(de.Name, ".AccessDenied") || strings.HasSuffix(de.Name, ".InteractiveAuthorizationRequired")) {
		return fmt.Errorf("systemd does not let you %s it (%s): run sudo systemctl %s %s", verb, de.Name, verb, unit)
	}
	if errors.As(err, &de) && strings.HasSuffix(de.Name, ".NoSuchUnit") {
		return fmt.Errorf("systemd has no unit %s on this machine: install the appliance as a service (installer/install.sh), or run it by hand", unit)
	}
	return err
}
