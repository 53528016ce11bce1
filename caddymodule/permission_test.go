package caddymodule

import (
	"errors"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddytls"

	"github.com/simphony/simphony-remote/engine/routes"
)

// TestPermission: ACME certificates on demand only for the origins of
// running sessions.
func TestPermission(t *testing.T) {
	b := &fakeBackend{routes: map[string]routes.Route{urlID: {URLID: urlID, User: "alice"}}}
	p := &Permission{SessionHost: "remote.lab.example.org", b: b}
	for name, allowed := range map[string]bool{
		urlID + ".remote.lab.example.org":                             true,
		strings.ToUpper(urlID) + ".REMOTE.lab.example.org":            true,  // names are case-insensitive
		otherID + ".remote.lab.example.org":                           false, // no such session
		"remote.lab.example.org":                                      false, // the portal's name is not on demand
		"www.remote.lab.example.org":                                  false,
		"x." + urlID + ".remote.lab.example.org":                      false,
		urlID + ".evil.example":                                       false,
		urlID + ".remote.lab.example.org.evil.example":                false,
		"remote.lab.example.org." + urlID + ".remote.lab.example.org": false,
	} {
		err := p.CertificateAllowed(t.Context(), name)
		if allowed != (err == nil) || (err != nil && !errors.Is(err, caddytls.ErrPermissionDenied)) {
			t.Errorf("CertificateAllowed(%q) = %v, want allowed %v", name, err, allowed)
		}
	}
}
