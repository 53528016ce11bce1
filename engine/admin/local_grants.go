package admin

import (
	"context"
	"fmt"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
)

// Grant implements Service.
func (l *Local) Grant(ctx context.Context, user, image string, p accounting.Policy) (id string, err error) {
	defer func() {
		detail := policyDetail(p)
		if id != "" {
			detail = "mapping " + id + ": " + detail
		}
		l.record(ctx, audit.GrantCreate, grantTarget(image, user), detail, err)
	}()
	if err := p.Validate(); err != nil {
		return "", fmt.Errorf("granting %s to %s: %w", image, user, err)
	}
	// Checked again at every start: the host may change in between.
	if err := l.opts.Volumes.Check(p.Volume); err != nil {
		return "", fmt.Errorf("granting %s to %s: %w", image, user, err)
	}
	return l.store.Grant(ctx, user, image, p.Canonical())
}

// grantIDs lists the mapping ids of user's grants of image that match.
func (l *Local) grantIDs(ctx context.Context, user, image string, match func(accounting.Grant) bool) []string {
	if l.opts.Sessions == nil {
		return nil
	}
	app, err := l.store.Application(ctx, image)
	if err != nil {
		return nil // the revocation itself reports it
	}
	grants, err := l.store.Grants(ctx, user)
	if err != nil {
		return nil
	}
	var ids []string
	for _, g := range grants {
		if g.Image == app.Image && match(g) {
			ids = append(ids, g.MappingID)
		}
	}
	return ids
}

// Revoke implements Service.
func (l *Local) Revoke(ctx context.Context, user, image string, p accounting.Policy) (err error) {
	defer func() { l.record(ctx, audit.GrantRevoke, grantTarget(image, user), policyDetail(p), err) }()
	if err := p.Validate(); err != nil {
		return fmt.Errorf("revoking %s from %s: %w", image, user, err)
	}
	p = p.Canonical()
	ids := l.grantIDs(ctx, user, image, func(g accounting.Grant) bool { return g.Policy == p })
	if err := l.store.Revoke(ctx, user, image, p); err != nil {
		return err
	}
	return followUp(fmt.Sprintf("revoked %s from %s", image, user), l.stopMappings(ctx, ids))
}

// RevokeAll implements Service.
func (l *Local) RevokeAll(ctx context.Context, user, image string) (n int, err error) {
	defer func() {
		detail := "all grants"
		if err == nil || isFollowUp(err) {
			detail = fmt.Sprintf("all grants: %d revoked", n)
		}
		l.record(ctx, audit.GrantRevoke, grantTarget(image, user), detail, err)
	}()
	ids := l.grantIDs(ctx, user, image, func(accounting.Grant) bool { return true })
	if n, err = l.store.RevokeAll(ctx, user, image); err != nil {
		return 0, err
	}
	return n, followUp(fmt.Sprintf("revoked %d grant(s) of %s from %s", n, image, user), l.stopMappings(ctx, ids))
}

// RevokeMapping implements Service.
func (l *Local) RevokeMapping(ctx context.Context, mappingID string) (err error) {
	var detail string
	defer func() { l.record(ctx, audit.GrantRevoke, mappingID, detail, err) }()
	if err := checkMappingID(mappingID); err != nil {
		return err
	}
	if g, err := l.store.GrantByID(ctx, mappingID); err == nil {
		detail = grantTarget(g.Image, g.User) + ": " + policyDetail(g.Policy)
	}
	if err := l.store.RevokeMapping(ctx, mappingID); err != nil {
		return err
	}
	return followUp("revoked grant "+mappingID, l.stopMappings(ctx, []string{mappingID}))
}

// Grants implements Service.
func (l *Local) Grants(ctx context.Context, user string) ([]accounting.Grant, error) {
	grants, err := l.store.Grants(ctx, user)
	if err != nil {
		return nil, err
	}
	return nonNil(grants), nil
}

// checkMappingID rejects what cannot be a mapping id.
func checkMappingID(id string) error {
	if !accounting.IsMappingID(id) {
		return fmt.Errorf("revoking a grant: %w", &accounting.InvalidError{
			What: "mapping id", Value: id, Rule: "want 32 lowercase hexadecimal digits"})
	}
	return nil
}
