// Package wsrelay relays a WebSocket between a client and an upstream
// server message by message, instead of as raw bytes: so that what a
// client sends can be filtered (a view-only viewer's input dropped), and
// so that a relay can be closed on demand with a reason (a share revoked:
// cancel Serve's context with a CloseReason as the cause).
package wsrelay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coder/websocket"
)

// Defaults of Options.
const (
	DefaultMessageLimit = 16 << 20
	DefaultDialTimeout  = 10 * time.Second
)

// Options tune one relayed connection.
type Options struct {
	// Header holds headers to send upstream besides those relayed from
	// the client's request (Origin, User-Agent, Cookie); they replace
	// any of the same name. The proxy sets X-Remote-User here.
	Header http.Header
	// Filter, if not nil, rewrites what the client sends; it belongs to
	// this connection (it may keep state).
	Filter Filter
	// MessageLimit caps a message, each way (DefaultMessageLimit when
	// 0; -1 for none). A bigger message closes the connection.
	MessageLimit int64
	// DialTimeout bounds the upstream's handshake (DefaultDialTimeout
	// when 0).
	DialTimeout time.Duration
	// OriginPatterns are the origins accepted besides the request's own
	// host, as in websocket.AcceptOptions.
	OriginPatterns []string
	// Authorize, if not nil, is asked again once the client is accepted
	// and before anything is relayed: false closes it at once. A caller
	// that registers the relay (to close it on revocation) before Serve
	// closes with it the window in which access is revoked after its
	// check but before the relay was registered.
	Authorize func() bool
	// OnUpstreamError answers the client when the upstream cannot be
	// reached or does not accept the WebSocket; nothing has been written
	// to w then. When nil, the client gets the upstream's own error
	// status (4xx, 5xx) or a 502.
	OnUpstreamError func(w http.ResponseWriter, r *http.Request, err *UpstreamError)
	// Transport dials the upstream; nil for one without proxies.
	Transport http.RoundTripper
	// Traffic, if not nil, is told the time (from Now) as each message
	// starts, either way. It is called for every message, so it must be
	// cheap (routes.Route.Traffic is: the proxy records it as activity).
	Traffic func(time.Time)
	// Now is Traffic's clock; time.Now when nil.
	Now func() time.Time
}

func (o *Options) messageLimit() int64 {
	if o.MessageLimit == 0 {
		return DefaultMessageLimit
	}
	return o.MessageLimit
}

// UpstreamError is why the upstream did not take the WebSocket.
type UpstreamError struct {
	// Status is the upstream's HTTP status when it answered without
	// switching protocols; 0 when it could not be reached.
	Status int
	Err    error
}

func (e *UpstreamError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("the upstream answered the WebSocket handshake with HTTP %d: %v", e.Status, e.Err)
	}
	return fmt.Sprintf("dialling the upstream WebSocket: %v", e.Err)
}

func (e *UpstreamError) Unwrap() error { return e.Err }

// CloseReason is a WebSocket close code and reason. As the cause of the
// context given to Serve (context.WithDeadlineCause, WithCancelCause), it
// is what both sides are told when the context ends.
type CloseReason struct {
	Code   websocket.StatusCode
	Reason string
}

func (c CloseReason) Error() string {
	return fmt.Sprintf("WebSocket closed with status %d: %s", c.Code, c.Reason)
}

// Close reasons the relay gives.
var (
	// Revoked is given by a failed Authorize.
	Revoked = CloseReason{websocket.StatusPolicyViolation, "access revoked"}
	// Refused is given when the filter refuses a message.
	Refused = CloseReason{websocket.StatusPolicyViolation, "message refused by the proxy"}
	// GoingAway is given when the context ends with no CloseReason.
	GoingAway = CloseReason{websocket.StatusGoingAway, "the proxy is going away"}
)

// ErrNotWebSocket is returned by Serve for a request that is not a
// WebSocket handshake over HTTP/1.1.
var ErrNotWebSocket = errors.New("not a WebSocket handshake over HTTP/1.1")

// Serve relays the WebSocket that r asks for to upstream (host:port, over
// ws://, with r's path and query). It dials the upstream first, offering
// the client's subprotocols, and only then accepts the client, with the
// subprotocol the upstream chose: when the upstream fails, the client
// gets an HTTP error, not a broken WebSocket. w must lead to an
// http.Hijacker (directly or through Unwrap).
//
// Serve returns once both sides are closed: when either closes (the
// other is told the same close code), when ctx ends (both sides are told
// the CloseReason that is its cause, or GoingAway), or when the filter
// refuses a message. It returns nil, or the
// filter's error, or what prevented relaying.
func Serve(ctx context.Context, w http.ResponseWriter, r *http.Request, upstream string, opts Options) error {
	if !handshake(r) {
		status := http.StatusBadRequest
		if r.Method == http.MethodConnect {
			status = http.StatusHTTPVersionNotSupported
		}
		http.Error(w, "this endpoint takes WebSocket handshakes over HTTP/1.1", status)
		return ErrNotWebSocket
	}
	if err := checkOrigin(r, opts.OriginPatterns); err != nil {
		http.Error(w, "cross-origin WebSocket refused", http.StatusForbidden)
		return err
	}
	up, err := dial(ctx, r, upstream, &opts)
	if err != nil {
		var ue *UpstreamError
		if errors.As(err, &ue) && opts.OnUpstreamError != nil {
			opts.OnUpstreamError(w, r, ue)
		} else {
			answerUpstreamError(w, ue)
		}
		return err
	}
	var protocols []string
	if p := up.Subprotocol(); p != "" {
		protocols = []string{p}
	}
	client, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:   protocols,
		OriginPatterns: opts.OriginPatterns,
	})
	if err != nil { // Accept has answered the client
		_ = up.Close(websocket.StatusGoingAway, "the client's handshake failed")
		return fmt.Errorf("accepting the client's WebSocket: %w", err)
	}
	limit := opts.messageLimit()
	client.SetReadLimit(limit)
	up.SetReadLimit(limit)

	rl := newRelay(client, up, &opts)
	if opts.Authorize != nil && !opts.Authorize() {
		rl.end(Revoked, Revoked)
	}
	stop := context.AfterFunc(ctx, func() {
		reason := GoingAway
		if cr := (CloseReason{}); errors.As(context.Cause(ctx), &cr) {
			reason = cr
		}
		rl.end(reason, reason)
	})
	defer stop()
	return rl.run()
}

// answerUpstreamError passes the upstream's error status on, or answers
// 502.
func answerUpstreamError(w http.ResponseWriter, e *UpstreamError) {
	if e != nil && e.Status >= 400 && e.Status <= 599 {
		http.Error(w, fmt.Sprintf("the application refused the WebSocket (HTTP %d)", e.Status), e.Status)
		return
	}
	http.Error(w, "the application does not answer", http.StatusBadGateway)
}
