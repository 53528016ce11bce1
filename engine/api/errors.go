// Package api is the appliance's JSON API (v1): the parts every endpoint
// shares (one error renderer, strict JSON bodies) and the endpoints
// themselves, starting with the administration under /api/v1/admin/
// (AdminHandler).
//
// Handlers return an error; handle renders it with the status that
// classify gives it, from the engine's one classification of errors
// (package problem).
package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/logging"
	"github.com/simphony/simphony-remote/engine/problem"
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

// classify gives err its HTTP status and error type: a requestError its
// own, an error of the engine problem.Of's, the classification every front
// end shares. Internal errors are the rest: their messages are not shown.
func classify(err error) (status int, typ string) {
	var re *requestError
	if errors.As(err, &re) {
		return re.status, re.typ
	}
	p := problem.Of(err)
	return p.Status, p.Type
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
