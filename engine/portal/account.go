package portal

import (
	"fmt"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// PasswordChangeable says whether users may change their own password
// (ChangePassword): not on a read-only accounting backend, an
// accounting.ErrReadOnly.
func (s *Service) PasswordChangeable() error {
	if accounting.ReadOnly(s.d.Accounts) {
		return fmt.Errorf("changing passwords: %w: the accounting backend is a CSV file", accounting.ErrReadOnly)
	}
	return nil
}
