package admin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/auth"
)

func userOfWire(w wire.User) User {
	u := User{Name: w.Name, Admin: w.Admin, Disabled: w.Disabled, HasPassword: w.HasPassword}
	if w.Grants != nil {
		u.Grants = grantsOfWire(*w.Grants)
	}
	return u
}

func grantsOfWire(ws []wire.Grant) []accounting.Grant {
	out := make([]accounting.Grant, len(ws))
	for i, g := range ws {
		out[i] = g.Grant()
	}
	return out
}

// Users implements Service.
func (c *Client) Users(ctx context.Context, withGrants bool) ([]User, error) {
	var q url.Values
	if withGrants {
		q = url.Values{"grants": {"1"}}
	}
	var ws []wire.User
	if err := c.do(ctx, http.MethodGet, "/users", q, nil, &ws, http.StatusOK); err != nil {
		return nil, err
	}
	out := make([]User, len(ws))
	for i, w := range ws {
		out[i] = userOfWire(w)
		if withGrants && out[i].Grants == nil {
			out[i].Grants = []accounting.Grant{}
		}
	}
	return out, nil
}

// User implements Service.
func (c *Client) User(ctx context.Context, name string) (User, error) {
	p := userPath(name)
	if p == "" {
		return User{}, fmt.Errorf("user %s: %w", name, accounting.ErrNotFound)
	}
	var w wire.User
	if err := c.do(ctx, http.MethodGet, p, nil, nil, &w, http.StatusOK); err != nil {
		return User{}, err
	}
	return userOfWire(w), nil
}

// CreateUser implements Service.
func (c *Client) CreateUser(ctx context.Context, u NewUser) (User, error) {
	var w wire.User
	in := wire.CreateUser{Name: u.Name, Admin: u.Admin, Password: u.Password}
	if err := c.do(ctx, http.MethodPost, "/users", nil, in, &w, http.StatusCreated); err != nil {
		return User{}, err
	}
	return userOfWire(w), nil
}

// RemoveUser implements Service.
func (c *Client) RemoveUser(ctx context.Context, name string) error {
	p := userPath(name)
	if p == "" {
		return fmt.Errorf("removing user %s: user %w", name, accounting.ErrNotFound)
	}
	return c.do(ctx, http.MethodDelete, p, nil, nil, nil, http.StatusNoContent)
}

// UpdateUser implements Service.
func (c *Client) UpdateUser(ctx context.Context, name string, ch UserChange) (User, error) {
	p := userPath(name)
	if p == "" {
		// Refuse as Local does, in the same order.
		if ch.IsZero() {
			return User{}, errNoChange(name)
		}
		if ch.Password != nil && *ch.Password != "" {
			if err := auth.CheckNewPassword(*ch.Password); err != nil {
				return User{}, fmt.Errorf("setting the password of %s: %w", name, err)
			}
		}
		return User{}, fmt.Errorf("changing user: user %s: %w", name, accounting.ErrNotFound)
	}
	var w wire.User
	in := wire.UpdateUser{Admin: ch.Admin, Disabled: ch.Disabled, Password: ch.Password}
	if err := c.do(ctx, http.MethodPatch, p, nil, in, &w, http.StatusOK); err != nil {
		return User{}, err
	}
	return userOfWire(w), nil
}

// SignInLink implements Service.
func (c *Client) SignInLink(ctx context.Context, name string) (string, error) {
	p := userPath(name)
	if p == "" || p == "/users/" {
		return "", fmt.Errorf("making a sign-in link: user %s: %w", name, accounting.ErrNotFound)
	}
	var w wire.SignInLink
	if err := c.do(ctx, http.MethodPost, p+"/sign-in-link", nil, nil, &w, http.StatusCreated); err != nil {
		return "", err
	}
	return w.URL, nil
}

// Applications implements Service.
func (c *Client) Applications(ctx context.Context) ([]accounting.Application, error) {
	var ws []wire.Application
	if err := c.do(ctx, http.MethodGet, "/applications", nil, nil, &ws, http.StatusOK); err != nil {
		return nil, err
	}
	out := make([]accounting.Application, len(ws))
	for i, w := range ws {
		out[i] = w.Application()
	}
	return out, nil
}

// Application implements Service.
func (c *Client) Application(ctx context.Context, image string) (accounting.Application, error) {
	p := imagePath(image)
	if p == "" {
		return accounting.Application{}, fmt.Errorf("application %s: %w", image, accounting.ErrNotFound)
	}
	var w wire.Application
	if err := c.do(ctx, http.MethodGet, p, nil, nil, &w, http.StatusOK); err != nil {
		return accounting.Application{}, err
	}
	return w.Application(), nil
}

func limitsJSON(l accounting.Limits) accounting.LimitsJSON {
	return accounting.LimitsJSON{MemoryBytes: l.Memory, CPUs: l.CPUs, Pids: l.Pids}
}

// CreateApplication implements Service.
func (c *Client) CreateApplication(ctx context.Context, a NewApplication) (accounting.Application, error) {
	var w wire.Application
	in := wire.CreateApplication{Image: a.Image, Verify: &a.Verify, Limits: limitsJSON(a.Limits), RunAsRoot: a.RunAsRoot}
	if err := c.do(ctx, http.MethodPost, "/applications", nil, in, &w, http.StatusCreated); err != nil {
		return accounting.Application{}, err
	}
	return w.Application(), nil
}

// RemoveApplication implements Service.
func (c *Client) RemoveApplication(ctx context.Context, image string) error {
	p := imagePath(image)
	if p == "" {
		return fmt.Errorf("removing application %s: application %w", image, accounting.ErrNotFound)
	}
	return c.do(ctx, http.MethodDelete, p, nil, nil, nil, http.StatusNoContent)
}

// SetLimits implements Service: it sends only the limits ch names.
func (c *Client) SetLimits(ctx context.Context, image string, ch LimitsChange) (accounting.Application, error) {
	p := imagePath(image)
	if p == "" {
		return accounting.Application{}, fmt.Errorf("setting the limits of %s: application %s: %w", image, image, accounting.ErrNotFound)
	}
	lc := wire.LimitsChange{MemoryBytes: ch.Memory, CPUs: ch.CPUs, Pids: ch.Pids}
	var w wire.Application
	if err := c.do(ctx, http.MethodPatch, p, nil, wire.UpdateApplication{Limits: &lc}, &w, http.StatusOK); err != nil {
		return accounting.Application{}, err
	}
	return w.Application(), nil
}

// SetRunAsRoot implements Service.
func (c *Client) SetRunAsRoot(ctx context.Context, image string, root bool) (accounting.Application, error) {
	p := imagePath(image)
	if p == "" {
		return accounting.Application{}, fmt.Errorf("setting the run-as-root mark of %s: application %s: %w", image, image, accounting.ErrNotFound)
	}
	var w wire.Application
	if err := c.do(ctx, http.MethodPatch, p, nil, wire.UpdateApplication{RunAsRoot: &root}, &w, http.StatusOK); err != nil {
		return accounting.Application{}, err
	}
	return w.Application(), nil
}

// Grant implements Service. The policy is checked here, as Local does,
// for the same message.
func (c *Client) Grant(ctx context.Context, user, image string, p accounting.Policy) (string, error) {
	if err := p.Validate(); err != nil {
		return "", fmt.Errorf("granting %s to %s: %w", image, user, err)
	}
	var out wire.MappingID
	in := wire.CreateGrant{User: user, Image: image, Policy: p}
	if err := c.do(ctx, http.MethodPost, "/grants", nil, in, &out, http.StatusCreated); err != nil {
		return "", err
	}
	return out.MappingID, nil
}

// Revoke implements Service. The policy is checked here, as Local does,
// for the same message.
func (c *Client) Revoke(ctx context.Context, user, image string, p accounting.Policy) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("revoking %s from %s: %w", image, user, err)
	}
	in := wire.RevokeGrants{User: user, Image: image, Policy: &p}
	return c.do(ctx, http.MethodPost, "/grants/revoke", nil, in, nil, http.StatusOK)
}

// RevokeAll implements Service.
func (c *Client) RevokeAll(ctx context.Context, user, image string) (int, error) {
	var out wire.Revoked
	in := wire.RevokeGrants{User: user, Image: image, All: true}
	if err := c.do(ctx, http.MethodPost, "/grants/revoke", nil, in, &out, http.StatusOK); err != nil {
		return 0, err
	}
	return out.Revoked, nil
}

// RevokeMapping implements Service.
func (c *Client) RevokeMapping(ctx context.Context, mappingID string) error {
	if err := checkMappingID(mappingID); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, "/grants/"+mappingID, nil, nil, nil, http.StatusNoContent)
}

// Grants implements Service.
func (c *Client) Grants(ctx context.Context, user string) ([]accounting.Grant, error) {
	var ws []wire.Grant
	if err := c.do(ctx, http.MethodGet, "/grants", url.Values{"user": {user}}, nil, &ws, http.StatusOK); err != nil {
		return nil, err
	}
	return grantsOfWire(ws), nil
}

// Backup implements Service. A copy cut short (the server failed half way)
// ends in an error.
func (c *Client) Backup(ctx context.Context, w io.Writer) error {
	resp, err := c.send(ctx, http.MethodGet, "/backup", nil, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return readError(resp)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("copying the database from %s: %w", c.where, err)
	}
	return nil
}

// Import implements Service.
func (c *Client) Import(ctx context.Context, b accounting.Batch, dryRun bool) (ImportReport, error) {
	in := wire.Import{Users: nonNil(b.Users), Applications: nonNil(b.Applications), Grants: []wire.Grant{}, DryRun: dryRun}
	for _, g := range b.Grants {
		in.Grants = append(in.Grants, wire.Grant{MappingID: g.MappingID, User: g.User, Image: g.Image, Policy: wire.PolicyOf(g.Policy)})
	}
	var out struct {
		wire.ImportReport
		Grants []wire.Grant `json:"grants"`
	}
	if err := c.do(ctx, http.MethodPost, "/import", nil, in, &out, http.StatusOK); err != nil {
		return ImportReport{}, err
	}
	return ImportReport{DryRun: out.DryRun, Users: nonNil(out.Users), Applications: nonNil(out.Applications),
		Grants: grantsOfWire(out.Grants), Unchanged: out.Unchanged, Conflicts: nonNil(out.Conflicts)}, nil
}

var _ Service = (*Client)(nil)
