package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
)

// ImportReport says what Import did, or with DryRun would do.
type ImportReport struct {
	DryRun bool
	// Users, Applications and Grants are those added (or that would be).
	Users        []string
	Applications []string
	Grants       []accounting.Grant
	// Unchanged counts the records that were there already with the same
	// data.
	Unchanged int
	// Conflicts say, one line each, what was not imported and why.
	Conflicts []string
}

// importDetail goes with every audit entry of an import.
const importDetail = "imported"

// Import implements Service.
func (l *Local) Import(ctx context.Context, b accounting.Batch, dryRun bool) (ImportReport, error) {
	if err := checkBatch(b); err != nil {
		return ImportReport{}, fmt.Errorf("importing: %w", err)
	}
	plan, err := l.planImport(ctx, b)
	if err != nil {
		return ImportReport{}, fmt.Errorf("importing: %w", err)
	}
	report := ImportReport{DryRun: dryRun, Users: nonNil(plan.add.Users), Applications: nonNil(plan.add.Applications),
		Grants: nonNil(plan.add.Grants), Unchanged: plan.unchanged, Conflicts: nonNil(plan.conflicts)}
	if dryRun || plan.add.IsEmpty() {
		return report, nil
	}
	imp, ok := l.store.(accounting.Importer)
	if !ok || accounting.ReadOnly(l.store) {
		return ImportReport{}, fmt.Errorf("importing: %w: the accounting backend cannot be written; import into a bbolt database", accounting.ErrReadOnly)
	}
	if err := imp.Import(ctx, plan.add); err != nil {
		return ImportReport{}, err
	}
	for _, u := range plan.add.Users {
		l.record(ctx, audit.UserCreate, u, importDetail, nil)
	}
	for _, a := range plan.add.Applications {
		l.record(ctx, audit.ApplicationCreate, a, importDetail, nil)
	}
	for _, g := range plan.add.Grants {
		l.record(ctx, audit.GrantCreate, grantTarget(g.Image, g.User), importDetail+": mapping "+g.MappingID+": "+policyDetail(g.Policy), nil)
	}
	return report, nil
}

// checkBatch refuses a batch with an invalid record, naming every one.
func checkBatch(b accounting.Batch) error {
	var errs []error
	for _, u := range b.Users {
		if err := accounting.ValidateUserName(u); err != nil {
			errs = append(errs, err)
		}
	}
	for _, a := range b.Applications {
		if err := accounting.ValidateImage(a); err != nil {
			errs = append(errs, err)
		}
	}
	for _, g := range b.Grants {
		var err error
		switch {
		case !accounting.IsMappingID(g.MappingID):
			err = &accounting.InvalidError{What: "mapping id", Value: g.MappingID, Rule: "want 32 lowercase hexadecimal digits"}
		case !slices.Contains(b.Users, g.User):
			err = &accounting.InvalidError{What: "grant", Value: g.MappingID, Rule: "its user " + g.User + " is not among the users imported"}
		case !slices.ContainsFunc(b.Applications, func(a string) bool { return accounting.SameImage(a, g.Image) }):
			err = &accounting.InvalidError{What: "grant", Value: g.MappingID, Rule: "its application " + g.Image + " is not among the applications imported"}
		default:
			err = g.Policy.Validate()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("grant %s of %s to %s: %w", g.MappingID, g.Image, g.User, err))
		}
	}
	return errors.Join(errs...)
}

type importPlan struct {
	add       accounting.Batch
	unchanged int
	conflicts []string
}

// planImport sorts the batch's records into new, unchanged and
// conflicting ones.
func (l *Local) planImport(ctx context.Context, b accounting.Batch) (importPlan, error) {
	var plan importPlan
	for _, u := range b.Users {
		switch _, err := l.store.User(ctx, u); {
		case err == nil:
			plan.unchanged++
		case errors.Is(err, accounting.ErrNotFound):
			if !slices.Contains(plan.add.Users, u) {
				plan.add.Users = append(plan.add.Users, u)
			}
		default:
			return plan, err
		}
	}
	// stored maps each application of the batch to its name in the store
	// (another spelling of the same image finds it).
	stored := map[string]string{}
	for _, a := range b.Applications {
		app, err := l.store.Application(ctx, a)
		switch {
		case err == nil:
			stored[a] = app.Image
			plan.unchanged++
		case errors.Is(err, accounting.ErrNotFound):
			if name, ok := accounting.FindImage(a, slices.Values(plan.add.Applications)); ok {
				stored[a] = name
				continue
			}
			stored[a] = a
			plan.add.Applications = append(plan.add.Applications, a)
		default:
			return plan, err
		}
	}
	seen := map[string]accounting.Grant{} // the batch's grants so far, by mapping id
	for _, g := range b.Grants {
		g.Policy = g.Policy.Canonical()
		if name, ok := accounting.FindImage(g.Image, func(yield func(string) bool) {
			for _, s := range stored {
				if !yield(s) {
					return
				}
			}
		}); ok {
			g.Image = name
		}
		conflict, same, err := l.grantConflict(ctx, g, seen)
		switch {
		case err != nil:
			return plan, err
		case same:
			plan.unchanged++
		case conflict != "":
			plan.conflicts = append(plan.conflicts, fmt.Sprintf("grant %s of %s to %s (%s): %s", g.MappingID, g.Image, g.User, policyDetail(g.Policy), conflict))
		default:
			seen[g.MappingID] = g
			plan.add.Grants = append(plan.add.Grants, g)
		}
	}
	return plan, nil
}

// grantConflict says why g cannot be imported, or that the store has it
// already (same).
func (l *Local) grantConflict(ctx context.Context, g accounting.Grant, seen map[string]accounting.Grant) (conflict string, same bool, err error) {
	if o, dup := seen[g.MappingID]; dup {
		return fmt.Sprintf("the file gives its mapping id to %s of %s too", o.Image, o.User), false, nil
	}
	for _, o := range seen {
		if o.User == g.User && o.Image == g.Image && o.Policy == g.Policy {
			return "the file has the same grant as mapping id " + o.MappingID, false, nil
		}
	}
	switch o, err := l.store.GrantByID(ctx, g.MappingID); {
	case err == nil && o.User == g.User && o.Image == g.Image && o.Policy == g.Policy:
		return "", true, nil
	case err == nil:
		return fmt.Sprintf("the mapping id is taken by the grant of %s to %s (%s)", o.Image, o.User, policyDetail(o.Policy)), false, nil
	case !errors.Is(err, accounting.ErrNotFound):
		return "", false, err
	}
	grants, err := l.store.Grants(ctx, g.User)
	if err != nil && !errors.Is(err, accounting.ErrNotFound) {
		return "", false, err
	}
	for _, o := range grants {
		if o.Image == g.Image && o.Policy == g.Policy {
			return "the appliance has the same grant as mapping id " + o.MappingID + "; the original's id is not kept", false, nil
		}
	}
	if err := l.opts.Volumes.Check(g.Policy.Volume); err != nil {
		return err.Error(), false, nil
	}
	return "", false, nil
}

// DescribePolicy says what a policy allows, briefly ("allow_home, volume
// /data:/data:ro"; "plain policy"), as the audit log and the import
// report do.
func DescribePolicy(p accounting.Policy) string { return policyDetail(p) }
