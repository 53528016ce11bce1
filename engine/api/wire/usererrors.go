package wire

// Error types of the user API, besides those in wire.go.
const (
	TypeUnauthorized = "unauthorized" // 401: no or bad credentials
	TypeForbidden    = "forbidden"    // 403: not an administrator, or a refused cross-site or CSRF-less request
	TypeInProgress   = "in_progress"  // 409: a start or stop of the same session is under way
	TypeNotReady     = "not_ready"    // 504: the application did not answer in time, or stopped at once
)
