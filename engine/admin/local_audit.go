package admin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
)

// Audit implements Service.
func (l *Local) Audit(ctx context.Context, q audit.Query) ([]audit.Entry, uint64, error) {
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return nil, 0, fmt.Errorf("reading the audit log: %w", &accounting.InvalidError{What: "time range",
			Value: q.From.UTC().Format(time.RFC3339Nano) + " to " + q.To.UTC().Format(time.RFC3339Nano), Rule: "its end is not after its start"})
	}
	if l.opts.Audit == nil {
		return nil, 0, &kindError{kind: ErrUnavailable,
			msg: "reading the audit log: no audit log is kept here (the appliance keeps it in its bbolt database)"}
	}
	entries, next, err := audit.Find(ctx, l.opts.Audit, q)
	if err != nil {
		return nil, 0, err
	}
	return nonNil(entries), next, nil
}

// kindError is an error with its own message that matches kind.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }

// record writes what a change did to the audit log. A FollowUpError means
// that the change itself was made: it is recorded as done, with what did
// not follow in the detail.
func (l *Local) record(ctx context.Context, action, target, detail string, err error) {
	var fu *FollowUpError
	if errors.As(err, &fu) {
		detail = join(detail, "but "+fu.Err.Error())
		err = nil
	}
	l.opts.Log.Record(ctx, action, target, detail, err)
}

func isFollowUp(err error) bool {
	var fu *FollowUpError
	return errors.As(err, &fu)
}

// join joins the non-empty parts with "; ".
func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

// grantTarget names the grants of image to user.
func grantTarget(image, user string) string { return image + " for " + user }

func newUserDetail(nu NewUser) string {
	d := "admin=" + strconv.FormatBool(nu.Admin)
	if nu.Password != "" {
		d += ", password set"
	}
	return d
}

// userChangeDetail says what a change changes; never the password.
func userChangeDetail(c UserChange) string {
	var parts []string
	if c.Admin != nil {
		parts = append(parts, "admin="+strconv.FormatBool(*c.Admin))
	}
	if c.Disabled != nil {
		parts = append(parts, "disabled="+strconv.FormatBool(*c.Disabled))
	}
	switch {
	case c.Password == nil:
	case *c.Password == "":
		parts = append(parts, "password removed")
	default:
		parts = append(parts, "password changed")
	}
	return strings.Join(parts, ", ")
}

func newApplicationDetail(na NewApplication) string {
	d := na.Limits.String()
	if na.Verify {
		d += "; image verified"
	}
	if na.RunAsRoot {
		d += "; run_as_root"
	}
	return d
}

// policyDetail summarises a policy: "allow_home, volume /srv:/data:ro".
// The licence is only said to be there: it may be a key.
func policyDetail(p accounting.Policy) string {
	var parts []string
	if p.AllowHome {
		parts = append(parts, "allow_home")
	}
	if p.AllowView {
		parts = append(parts, "allow_view")
	}
	if p.AllowStartupData {
		parts = append(parts, "allow_startup_data")
	}
	if !p.Volume.IsZero() {
		parts = append(parts, "volume "+p.Volume.String())
	}
	if p.AppLicense != "" {
		parts = append(parts, "app_license set")
	}
	if len(parts) == 0 {
		return "plain policy"
	}
	return strings.Join(parts, ", ")
}
