package legacy

import (
	"context"
	"fmt"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/csvfile"
)

// readCSV reads the original's CSV accounting file with the appliance's
// own CSV backend, which checks every row and names a bad one.
func readCSV(path string) (accounting.Batch, error) {
	s, err := csvfile.Open(path)
	if err != nil {
		return accounting.Batch{}, fmt.Errorf("reading the CSV accounting file: %w", err)
	}
	defer s.Close()
	ctx := context.Background() // the CSV store is in memory: nothing to cancel
	var b accounting.Batch
	users, err := s.Users(ctx)
	if err != nil {
		return b, err
	}
	apps, err := s.Applications(ctx)
	if err != nil {
		return b, err
	}
	for _, a := range apps {
		b.Applications = append(b.Applications, a.Image)
	}
	for _, u := range users {
		b.Users = append(b.Users, u.Name)
		gs, err := s.Grants(ctx, u.Name)
		if err != nil {
			return b, err
		}
		b.Grants = append(b.Grants, gs...)
	}
	return b, nil
}
