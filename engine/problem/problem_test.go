package problem_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/portal"
	"github.com/simphony/simphony-remote/engine/problem"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/shares"
)

func TestOf(t *testing.T) {
	for _, c := range []struct {
		err      error
		status   int
		typ      string
		sentence string // "" for the error's own message
	}{
		{accounting.ErrInvalid, 400, wire.TypeInvalid, ""},
		{&accounting.InvalidError{What: "name", Value: "x y", Rule: "no spaces"}, 400, wire.TypeInvalid, ""},
		{accounting.ErrNotFound, 404, wire.TypeNotFound, ""},
		{accounting.ErrExists, 409, wire.TypeExists, ""},
		{accounting.ErrReadOnly, 409, wire.TypeReadOnly, ""},
		{admin.ErrUnavailable, 503, wire.TypeUnavailable, ""},
		{session.ErrNotFound, 404, wire.TypeNotFound, "That application or session does not exist (any more)."},
		{session.ErrInvalid, 400, wire.TypeInvalid, ""},
		{session.ErrVolume, 400, wire.TypeInvalid, ""},
		{session.ErrInProgress, 409, wire.TypeInProgress, "This application is already starting or stopping. Wait a moment and reload."},
		{session.ErrImageNotFound, 503, wire.TypeUnavailable, "This application's image is not installed on the appliance. Ask an administrator."},
		{session.ErrUnavailable, 503, wire.TypeUnavailable, "The container engine does not answer. Try again later, or ask an administrator."},
		{session.ErrNotReady, 504, wire.TypeNotReady, "The application did not come up. Try again, or ask an administrator."},
		{session.ErrContainerGone, 504, wire.TypeNotReady, "The application did not come up. Try again, or ask an administrator."},
		{shares.ErrNotFound, 404, wire.TypeNotFound, ""},
		{shares.ErrNotAllowed, 403, wire.TypeForbidden, ""},
		{shares.ErrRecipient, 400, wire.TypeInvalid, ""},
		{auth.ErrTokenNotFound, 404, wire.TypeNotFound, ""},
		{docker.ErrUnreachable, 503, wire.TypeUnavailable, "The container engine does not answer. Try again later."},
		{docker.ErrBadInput, 400, wire.TypeInvalid, ""},
		{docker.ErrNotFound, 404, wire.TypeNotFound, ""},
		// An upload cut at its limit, even when what read it calls it bad.
		{&http.MaxBytesError{Limit: 10}, 413, wire.TypeTooLarge, "The upload is over the limit."},
		{fmt.Errorf("loading images: %w: %w", docker.ErrBadInput, &http.MaxBytesError{Limit: 10}), 413, wire.TypeTooLarge, "The upload is over the limit."},
		{portal.ErrWrongPassword, 403, wire.TypeForbidden, "The current password is wrong."},
		{errors.New("disk on fire"), 500, wire.TypeInternal, "Something went wrong on the server."},
		{auth.ErrBadCredentials, 500, wire.TypeInternal, "Something went wrong on the server."},
	} {
		for _, err := range []error{
			c.err,
			fmt.Errorf("starting mapping m1: %w", c.err),
			fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", c.err)),
			errors.Join(errors.New("removing the container: gone already"), c.err),
		} {
			p := problem.Of(err)
			if p.Status != c.status || p.Type != c.typ {
				t.Errorf("Of(%q) = %d %s, want %d %s", err, p.Status, p.Type, c.status, c.typ)
			}
			want := c.sentence
			if want == "" {
				want = err.Error()
			}
			if got := problem.Sentence(err); got != want {
				t.Errorf("Sentence(%q) = %q, want %q", err, got, want)
			}
		}
	}
}

// TestOfJoinedTakesTheFirstKind: an error that is two of the engine's
// errors at once gets one answer, the same whatever their order.
func TestOfJoinedTakesTheFirstKind(t *testing.T) {
	a := errors.Join(session.ErrNotReady, session.ErrNotFound)
	b := errors.Join(session.ErrNotFound, session.ErrNotReady)
	if pa, pb := problem.Of(a), problem.Of(b); pa != pb || pa.Status != http.StatusNotFound {
		t.Errorf("Of(%q) = %+v, Of(%q) = %+v: want both the not-found answer", a, pa, b, pb)
	}
}

func TestOfNil(t *testing.T) {
	if p := problem.Of(nil); p != problem.Internal {
		t.Errorf("Of(nil) = %+v, want Internal", p)
	}
}

func TestTypeOf(t *testing.T) {
	for status, want := range map[int]string{
		400: wire.TypeBadRequest, 401: wire.TypeUnauthorized, 403: wire.TypeForbidden, 404: wire.TypeNotFound,
		405: wire.TypeMethodNotAllowed, 413: wire.TypeTooLarge, 502: wire.TypeUnavailable, 503: wire.TypeUnavailable,
		504: wire.TypeNotReady, 500: wire.TypeInternal, 418: wire.TypeInternal,
	} {
		if got := problem.TypeOf(status); got != want {
			t.Errorf("TypeOf(%d) = %s, want %s", status, got, want)
		}
	}
}

// unreachableDocker is a Docker Engine that does not answer.
type unreachableDocker struct{}

var errNoDocker = fmt.Errorf("%w at unix:///run/secret/docker.sock: connection refused", docker.ErrUnreachable)

func (unreachableDocker) Ping(context.Context) error { return errNoDocker }
func (unreachableDocker) Images(context.Context) ([]docker.LocalImage, error) {
	return nil, errNoDocker
}
func (unreachableDocker) LoadImages(context.Context, io.Reader) ([]string, error) {
	return nil, errNoDocker
}
func (unreachableDocker) BuildImage(context.Context, io.Reader, string) (string, error) {
	return "", errNoDocker
}
func (unreachableDocker) Inspect(context.Context, string) (string, map[string]string, error) {
	return "", nil, errNoDocker
}
func (unreachableDocker) RemoveImage(context.Context, string) error { return errNoDocker }

// An unreachable Docker Engine, as admin.Service reports it (an error that
// is also admin.ErrUnavailable), gets the Docker Engine's sentence on the
// pages, not the client's message with the engine's address.
func TestOfAdminDockerUnreachable(t *testing.T) {
	svc := admin.NewLocal(nil, admin.Options{Docker: unreachableDocker{}})
	_, err := svc.Images(t.Context())
	if err == nil {
		t.Fatal("listing the images of an unreachable Docker Engine worked")
	}
	if p := problem.Of(err); p.Status != http.StatusServiceUnavailable {
		t.Errorf("Of(%q) = %+v, want 503", err, p)
	}
	if got, want := problem.Sentence(err), problem.Sentence(docker.ErrUnreachable); got != want {
		t.Errorf("Sentence(%q) = %q, want %q", err, got, want)
	}
}
