package session

import (
	"context"
	"errors"
	"time"

	"github.com/simphony/simphony-remote/engine/protocol"
)

// ListingTimeout bounds the container runtime lookups of one listing of a
// user's applications (the portal, GET /api/v1/applications): a page shows
// what it knows rather than wait for a runtime that does not answer.
const ListingTimeout = 3 * time.Second

// Described is what a listing learnt about its images.
type Described struct {
	// Images are the images found, by reference.
	Images map[string]protocol.Image
	// Errs are the lookups that failed, by reference: ErrImageNotFound,
	// ErrUnavailable or another error.
	Errs map[string]error
	// Answering is false when the runtime did not answer: the running
	// state known from the route table may then be out of date.
	Answering bool
}

// Describe looks images up for a listing, all within ListingTimeout; once
// the runtime does not answer, the remaining ones are not asked.
func Describe(ctx context.Context, lookup func(ctx context.Context, ref string) (protocol.Image, error), refs []string) Described {
	ctx, cancel := context.WithTimeout(ctx, ListingTimeout)
	defer cancel()
	d := Described{Images: map[string]protocol.Image{}, Errs: map[string]error{}, Answering: true}
	for _, ref := range refs {
		if _, done := d.Images[ref]; done {
			continue
		}
		if _, done := d.Errs[ref]; done {
			continue
		}
		if !d.Answering {
			d.Errs[ref] = ErrUnavailable
			continue
		}
		img, err := lookup(ctx, ref)
		switch {
		case err == nil:
			d.Images[ref] = img
		case errors.Is(err, ErrUnavailable), ctx.Err() != nil:
			d.Answering = false
			d.Errs[ref] = errors.Join(ErrUnavailable, err)
		default:
			d.Errs[ref] = err
		}
	}
	return d
}
