// Package wire holds the JSON shapes of the API (v1) that the server
// (engine/api) and its Go clients (engine/admin.Client) both read and write,
// so that the two cannot drift apart.
//
// Responses carry engine/accounting's own JSON forms (Application, Grant,
// Policy); the types here read them back leniently: unknown fields are
// ignored and policies are not validated again, so that a client keeps
// working with a newer server.
package wire

// Error is the body of every error response.
type Error struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	// Ref is set on server errors: the reference under which the server
	// logged the error.
	Ref string `json:"ref,omitempty"`
}

// Error types and their HTTP statuses.
const (
	TypeInvalid          = "invalid"            // 400: a value broke a rule (the message names both)
	TypeBadRequest       = "bad_request"        // 400: malformed JSON, unknown field, wrong type; 415: not JSON
	TypeNotFound         = "not_found"          // 404: no such user, application, grant or endpoint
	TypeMethodNotAllowed = "method_not_allowed" // 405
	TypeExists           = "exists"             // 409: it exists already
	TypeReadOnly         = "read_only"          // 409: the accounting backend is read-only (CSV)
	TypeTooLarge         = "too_large"          // 413: the request body is over the limit
	TypeUnavailable      = "unavailable"        // 503: a service the operation needs (Docker) does not answer
	TypeInternal         = "internal"           // 500: logged under Ref; the message is generic
)
