// Package problem is the appliance's one classification of errors: the
// HTTP status and the error type (wire.Type*) that every front end (the
// JSON API, the legacy API, the pages) gives an error of the engine, and
// the sentence the pages show people for it.
package problem

import (
	"errors"
	"net/http"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/portal"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/shares"
)

// Problem is how the front ends answer an error.
type Problem struct {
	Status int    // the HTTP status
	Type   string // the error type of the JSON answers (wire.Type*)
	// Sentence is what the pages show people; empty when the error's own
	// message says it (a broken rule names the value and the rule).
	Sentence string
}

// Internal is the answer to every error the engine did not classify: its
// message is not shown, it is logged.
var Internal = Problem{Status: http.StatusInternalServerError, Type: wire.TypeInternal, Sentence: "Something went wrong on the server."}

var (
	invalid    = Problem{Status: http.StatusBadRequest, Type: wire.TypeInvalid}
	notFound   = Problem{Status: http.StatusNotFound, Type: wire.TypeNotFound}
	inProgress = Problem{Status: http.StatusConflict, Type: wire.TypeInProgress,
		Sentence: "This application is already starting or stopping. Wait a moment and reload."}
	unavailable = Problem{Status: http.StatusServiceUnavailable, Type: wire.TypeUnavailable}
)

// kinds maps the engine's sentinel errors to their answers; the first that
// an error matches wins (an errors.Join of several takes the earliest).
var kinds = []struct {
	err error
	p   Problem
}{
	{accounting.ErrInvalid, invalid},
	{accounting.ErrNotFound, notFound},
	{accounting.ErrExists, Problem{Status: http.StatusConflict, Type: wire.TypeExists}},
	{accounting.ErrReadOnly, Problem{Status: http.StatusConflict, Type: wire.TypeReadOnly}},
	// Before admin.ErrUnavailable, which admin.Service's errors of an
	// unreachable Docker Engine also are: the pages say it in a sentence,
	// not with the client's message and the engine's address.
	{docker.ErrUnreachable, with(unavailable, "The container engine does not answer. Try again later.")},
	{admin.ErrUnavailable, unavailable},
	{admin.ErrHostOnly, Problem{Status: http.StatusForbidden, Type: wire.TypeForbidden}},
	{session.ErrNotFound, with(notFound, "That application or session does not exist (any more).")},
	{shares.ErrNotFound, notFound},
	{auth.ErrTokenNotFound, notFound},
	{portal.ErrWrongPassword, Problem{Status: http.StatusForbidden, Type: wire.TypeForbidden, Sentence: "The current password is wrong."}},
	{shares.ErrNotAllowed, Problem{Status: http.StatusForbidden, Type: wire.TypeForbidden}},
	{shares.ErrRecipient, invalid},
	{session.ErrInvalid, invalid},
	{session.ErrVolume, invalid},
	{session.ErrInProgress, inProgress},
	{session.ErrImageNotFound, with(unavailable, "This application's image is not installed on the appliance. Ask an administrator.")},
	{session.ErrUnavailable, with(unavailable, "The container engine does not answer. Try again later, or ask an administrator.")},
	{session.ErrShuttingDown, with(unavailable, "The appliance is restarting or shutting down. Try again in a moment.")},
	// An application that does not come up (it does not answer in time, or
	// its container stops at once) is a gateway timeout, 504, everywhere:
	// the appliance is the gateway and its upstream, the application, did
	// not give an answer. It is what the JSON API has always said (the
	// not_ready type is documented as 504); the pages said 502 until they
	// used this classification. 502 stays the proxy's answer to a running
	// session that does not answer a request (web.Handler.Unreachable).
	{session.ErrNotReady, notReady},
	{session.ErrContainerGone, notReady},
	// The Docker Engine, for the admin's images: refusing what it was
	// given (a tarball that is no image, a failed build, an image
	// that a container uses), or without the image.
	{docker.ErrBadInput, invalid},
	{docker.ErrNotFound, notFound},
}

// tooLarge is an upload over its limit.
var tooLarge = Problem{Status: http.StatusRequestEntityTooLarge, Type: wire.TypeTooLarge,
	Sentence: "The upload is over the limit."}

var notReady = Problem{Status: http.StatusGatewayTimeout, Type: wire.TypeNotReady,
	Sentence: "The application did not come up. Try again, or ask an administrator."}

func with(p Problem, sentence string) Problem {
	p.Sentence = sentence
	return p
}

// Of classifies err (nil is not an error: Of(nil) is Internal, like every
// error it does not know).
func Of(err error) Problem {
	if err != nil {
		// First: a body cut at its limit also fails what read it.
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return tooLarge
		}
		for _, k := range kinds {
			if errors.Is(err, k.err) {
				return k.p
			}
		}
	}
	return Internal
}

// Sentence is what a page shows people about err: its classification's
// sentence, or the error's own message when that says it.
func Sentence(err error) string {
	if p := Of(err); p.Sentence != "" {
		return p.Sentence
	}
	return err.Error()
}

// TypeOf is the error type of a refusal that has only a status (the proxy
// module's refusals of session requests): the type each status has above,
// bad_request for a 400 (the address itself is wrong), internal for the
// rest.
func TypeOf(status int) string {
	switch status {
	case http.StatusBadRequest:
		return wire.TypeBadRequest
	case http.StatusUnauthorized:
		return wire.TypeUnauthorized
	case http.StatusForbidden:
		return wire.TypeForbidden
	case http.StatusNotFound:
		return wire.TypeNotFound
	case http.StatusMethodNotAllowed:
		return wire.TypeMethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		return wire.TypeTooLarge
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return wire.TypeUnavailable
	case http.StatusGatewayTimeout:
		return wire.TypeNotReady
	}
	return wire.TypeInternal
}
