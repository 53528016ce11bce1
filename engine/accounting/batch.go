package accounting

import "context"

// Batch is accounting data to add at once, such as the records of another
// installation: users (by name only: no password, not admins),
// applications (default limits), and grants that keep their mapping ids.
type Batch struct {
	Users        []string
	Applications []string
	Grants       []Grant
}

// IsEmpty reports whether b adds nothing.
func (b Batch) IsEmpty() bool {
	return len(b.Users) == 0 && len(b.Applications) == 0 && len(b.Grants) == 0
}

// Importer is a Store that adds a Batch in one transaction: all of it or,
// on the first problem, nothing. Every record must be new (ErrExists
// otherwise: a user or application of that name, a grant of that mapping
// id, or a grant of the same user, image and policy), each grant's user
// and application must exist once the batch is in, and each grant keeps
// its mapping id, which must have the form IsMappingID checks.
type Importer interface {
	Import(ctx context.Context, b Batch) error
}
