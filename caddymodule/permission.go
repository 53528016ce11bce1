package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddytls"

	"github.com/simphony/simphony-remote/engine/accounting"
)

func init() {
	caddy.RegisterModule(Permission{})
}

// Permission lets Caddy obtain a certificate on demand (from ACME, at a
// TLS handshake) only for the origin of a session that runs:
// {url_id}.{SessionHost}. Without it, anybody could make the appliance
// ask the CA for any name, up to its rate limits.
type Permission struct {
	SessionHost string `json:"session_host"`

	b Backend
}

// CaddyModule implements caddy.Module.
func (Permission) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "tls.permission.simphony_remote", New: func() caddy.Module { return new(Permission) }}
}

// Provision implements caddy.Provisioner.
func (p *Permission) Provision(caddy.Context) error {
	b := backend.Load()
	if b == nil {
		return errors.New("simphony_remote: no engine: this module only runs inside simphony-remote serve")
	}
	p.b = *b
	return nil
}

// CertificateAllowed implements caddytls.OnDemandPermission.
func (p *Permission) CertificateAllowed(ctx context.Context, name string) error {
	h := Handler{SessionHost: p.SessionHost}
	urlID, ok := h.sessionOrigin(strings.ToLower(name))
	if !ok || !accounting.IsMappingID(urlID) {
		return fmt.Errorf("%q is not the origin of a session: %w", name, caddytls.ErrPermissionDenied)
	}
	if _, ok := p.b.Route(ctx, urlID); !ok {
		return fmt.Errorf("no session runs at %q: %w", name, caddytls.ErrPermissionDenied)
	}
	return nil
}

// Interface guards.
var (
	_ caddy.Module                = (*Permission)(nil)
	_ caddy.Provisioner           = (*Permission)(nil)
	_ caddytls.OnDemandPermission = (*Permission)(nil)
)
