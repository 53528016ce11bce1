// Package api is the appliance's JSON API (v1): the parts every endpoint
// shares (one error renderer, strict JSON bodies) and the endpoints
// themselves, starting with the administration under /api/v1/admin/
// (AdminHandler).
//
// Handlers return an error; handle renders it with the status that
// classify, the one mapping from errors to statuses, gives it.
package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/logging"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/shares"
)

// requestError is a problem with the request itself (its body, its query)
// rather than with a value it carries. Its message is shown as is.
type requestError struct {
	status int
	typ    string
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(msg string) error {
	return &requestError{status: http.StatusBadRequest, typ: wire.TypeBadRequest, msg: msg}
}

// classify is the one mapping from errors to HTTP statuses and error
// types. Internal errors are the rest: their messages are not shown.
func classify(err error) (status int, typ string) {
	var re *requestError
	switch {
	case errors.As(err, &re):
		return re.status, re.typ
	case errors.Is(err, accounting.ErrInvalid):
		return http.StatusBadRequest, wire.TypeInvalid
	case errors.Is(err, accounting.ErrNotFound):
		return http.StatusNotFound, wire.TypeNotFound
	case errors.Is(err, accounting.ErrExists):
		return http.StatusConflict, wire.TypeExists
	case errors.Is(err, accounting.ErrReadOnly):
		return http.StatusConflict, wire.TypeReadOnly
	case errors.Is(err, admin.ErrUnavailable):
		return http.StatusServiceUnavailable, wire.TypeUnavailable
	case errors.Is(err, session.ErrNotFound), errors.Is(err, shares.ErrNotFound), errors.Is(err, auth.ErrTokenNotFound):
		return http.StatusNotFound, wire.TypeNotFound
	case errors.Is(err, shares.ErrNotAllowed):
		return http.StatusForbidden, wire.TypeForbidden
	case errors.Is(err, shares.ErrRecipient):
		return http.StatusBadRequest, wire.TypeInvalid
	case errors.Is(err, session.ErrInvalid), errors.Is(err, session.ErrVolume):
		return http.StatusBadRequest, wire.TypeInvalid
	case errors.Is(err, session.ErrInProgress):
		return http.StatusConflict, wire.TypeInProgress
	case errors.Is(err, session.ErrImageNotFound), errors.Is(err, session.ErrUnavailable):
		return http.StatusServiceUnavailable, wire.TypeUnavailable
	case errors.Is(err, session.ErrNotReady), errors.Is(err, session.ErrContainerGone):
		return http.StatusGatewayTimeout, wire.TypeNotReady
	}
	return http.StatusInternalServerError, wire.TypeInternal
}

// handlerFunc is an endpoint: it writes its answer, or returns an error for
// handle to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle turns an endpoint into an http.Handler that renders its errors.
func handle(log zerolog.Logger, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(log, w, r, err)
		}
	})
}

// writeError renders err as {"type", "message", "ref"}. A server error is
// logged under a reference id, which the answer shows instead of the error.
func writeError(log zerolog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		log.Debug().Str("method", r.Method).Str("path", r.URL.Path).Msg("the client went away")
		return
	}
	status, typ := classify(err)
	body := wire.Error{Type: typ, Message: err.Error()}
	if status == http.StatusInternalServerError {
		l := log.With().Str("method", r.Method).Str("path", r.URL.Path).Logger()
		body.Ref = logging.Issue(&l, err, "API request failed")
		body.Message = "internal error; the server logged it under reference " + body.Ref
	}
	writeJSON(w, status, body)
}
