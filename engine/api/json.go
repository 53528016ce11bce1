package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
)

// MaxBodySize bounds request bodies.
const MaxBodySize = 1 << 20

// writeJSON writes v as the answer. Admin data is never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing to do
}

// decodeBody reads the request body into v: JSON only (which also keeps
// plain HTML forms out), one value, no unknown fields, at most MaxBodySize
// bytes. Policies validate themselves while they are read.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &requestError{status: http.StatusUnsupportedMediaType, typ: wire.TypeBadRequest,
			msg: "request body: want Content-Type application/json"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodySize))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case err == io.EOF:
		return nil
	case isTooLarge(err):
		return bodyError(err)
	}
	return badRequest("request body: want exactly one JSON value")
}

func isTooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

// bodyError describes a body that could not be read. The messages never
// quote the body: it may hold a password.
func bodyError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case isTooLarge(err):
		return &requestError{status: http.StatusRequestEntityTooLarge, typ: wire.TypeTooLarge,
			msg: fmt.Sprintf("request body: it is over the limit of %d bytes", MaxBodySize)}
	case errors.Is(err, accounting.ErrInvalid):
		return err // a policy that does not validate
	case err == io.EOF:
		return badRequest("request body: it is empty; want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("request body: the JSON ends too early")
	case errors.As(err, &syn):
		return badRequest(fmt.Sprintf("request body: malformed JSON at byte %d", syn.Offset))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest(fmt.Sprintf("request body: want a JSON object, not a %s", jsonKind(typ.Value)))
		}
		return badRequest(fmt.Sprintf("request body: field %q: want %s, not a JSON %s", typ.Field, typ.Type, jsonKind(typ.Value)))
	}
	msg := err.Error()
	if i := strings.Index(msg, "json: unknown field "); i >= 0 {
		return badRequest("request body: unknown field " + msg[i+len("json: unknown field "):])
	}
	return badRequest("request body: not the expected JSON")
}

// jsonKind keeps the kind of a JSON value ("number", "string", ...) and
// drops any literal encoding/json put after it.
func jsonKind(v string) string {
	kind, _, _ := strings.Cut(v, " ")
	return kind
}

// required rejects empty fields; pairs are name, value.
func required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return &accounting.InvalidError{What: "field", Value: pairs[i], Rule: "it is required"}
		}
	}
	return nil
}
