package wsrelay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// closeNow closes a side without a close handshake (it is broken).
const closeNow websocket.StatusCode = -1

// relay moves messages between a client and its upstream.
type relay struct {
	client, up *websocket.Conn
	filter     Filter
	observe    func([]byte) error
	traffic    func(time.Time) // told as each message starts, if not nil
	now        func() time.Time

	endOnce sync.Once
	closing sync.WaitGroup // the goroutines closing the two sides
	err     error          // why the filter refused, if it ended the relay
}

func newRelay(client, up *websocket.Conn, opts *Options) *relay {
	rl := &relay{client: client, up: up, filter: opts.Filter, traffic: opts.Traffic, now: opts.Now}
	if rl.now == nil {
		rl.now = time.Now
	}
	if o, ok := opts.Filter.(ServerObserver); ok {
		rl.observe = o.ObserveServer
	}
	return rl
}

// run relays until both directions have ended and both sides are
// closed. The calling goroutine carries the client's messages; one more
// carries the upstream's.
func (rl *relay) run() error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		rl.pump(rl.up, rl.client, nil, rl.observe, false)
	}()
	rl.pump(rl.client, rl.up, rl.filter, nil, true)
	<-done
	rl.closing.Wait()
	return rl.err
}

// end closes both sides, once, each with its reason; it does not wait.
func (rl *relay) end(toClient, toUp CloseReason) { rl.fail(toClient, toUp, nil) }

// fail is end, noting err as the relay's error if it is the first end.
func (rl *relay) fail(toClient, toUp CloseReason, err error) {
	rl.endOnce.Do(func() {
		rl.err = err
		rl.closing.Add(2)
		go rl.closeSide(rl.client, toClient)
		go rl.closeSide(rl.up, toUp)
	})
}

func (rl *relay) closeSide(c *websocket.Conn, reason CloseReason) {
	defer rl.closing.Done()
	if reason.Code == closeNow {
		_ = c.CloseNow()
		return
	}
	_ = c.Close(reason.Code, truncate(reason.Reason))
}

// truncate keeps a close reason within the 123 bytes a close frame has.
func truncate(s string) string {
	if len(s) > 123 {
		return s[:123]
	}
	return s
}

// fault is which part of relaying a message failed.
type fault int

const (
	readFault   fault = iota // the source
	writeFault               // the destination
	policyFault              // the filter or the observer
)

// pump relays src's messages to dst until either fails, then ends the
// relay.
func (rl *relay) pump(src, dst *websocket.Conn, f Filter, observe func([]byte) error, fromClient bool) {
	ctx := context.Background() // the conns are ended by closing them
	for {
		typ, r, err := src.Reader(ctx)
		var ft fault
		if err == nil && rl.traffic != nil {
			rl.traffic(rl.now())
		}
		if err == nil {
			if f != nil {
				ft, err = filterMessage(ctx, dst, typ, r, f)
			} else {
				ft, err = copyMessage(ctx, dst, typ, r, observe)
			}
		}
		if err == nil {
			continue
		}
		switch ft {
		case readFault:
			rl.srcEnded(err, fromClient)
		case writeFault:
			if fromClient {
				rl.end(GoingAway, CloseReason{Code: closeNow})
			} else {
				rl.end(CloseReason{Code: closeNow}, GoingAway)
			}
		case policyFault:
			rl.fail(Refused, Refused, err)
		}
		return
	}
}

// srcEnded tells the other side that one side closed, with its close code
// when it sent one.
func (rl *relay) srcEnded(err error, fromClient bool) {
	mirror := CloseReason{websocket.StatusGoingAway, "the application went away"}
	if fromClient {
		mirror.Reason = "the client went away"
	}
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		mirror = CloseReason{ce.Code, ce.Reason}
		if ce.Code == websocket.StatusAbnormalClosure || ce.Code == websocket.StatusTLSHandshake {
			mirror.Code = websocket.StatusGoingAway
		}
	}
	// The source is closed already, or broken.
	if fromClient {
		rl.end(CloseReason{Code: closeNow}, mirror)
	} else {
		rl.end(mirror, CloseReason{Code: closeNow})
	}
}

// bufSize is the chunk a message is relayed in; smaller messages go in
// one write.
const bufSize = 32 << 10

var chunks = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// copyMessage relays one message from r to dst, in one write when it
// fits in a chunk, streamed otherwise. observe, if not nil, sees each
// chunk before dst does.
func copyMessage(ctx context.Context, dst *websocket.Conn, typ websocket.MessageType, r io.Reader, observe func([]byte) error) (fault, error) {
	bp := chunks.Get().(*[]byte)
	defer chunks.Put(bp)
	buf := *bp
	n, err := io.ReadFull(r, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF { // the whole message
		if observe != nil {
			if err := observe(buf[:n]); err != nil {
				return policyFault, fmt.Errorf("observing what the upstream sent: %w", err)
			}
		}
		if err := dst.Write(ctx, typ, buf[:n]); err != nil {
			return writeFault, err
		}
		return 0, nil
	}
	if err != nil {
		return readFault, err
	}
	w, err := dst.Writer(ctx, typ)
	if err != nil {
		return writeFault, err
	}
	for {
		if observe != nil {
			if err := observe(buf[:n]); err != nil {
				return policyFault, fmt.Errorf("observing what the upstream sent: %w", err)
			}
		}
		if _, err := w.Write(buf[:n]); err != nil {
			return writeFault, err
		}
		n, err = io.ReadFull(r, buf)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			if n > 0 {
				continue // a last chunk; the next read says EOF again
			}
			if err := w.Close(); err != nil {
				return writeFault, err
			}
			return 0, nil
		}
		if err != nil {
			return readFault, err
		}
	}
}

var messages = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// filterMessage reads one whole message from r, filters it and sends
// what is left, if anything.
func filterMessage(ctx context.Context, dst *websocket.Conn, typ websocket.MessageType, r io.Reader, f Filter) (fault, error) {
	buf := messages.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 4*bufSize { // keep no big buffer around
			buf.Reset()
			messages.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(r); err != nil {
		return readFault, err
	}
	out, err := f.Filter(buf.Bytes())
	if err != nil {
		return policyFault, fmt.Errorf("filtering a client message: %w", err)
	}
	if len(out) == 0 {
		return 0, nil
	}
	if err := dst.Write(ctx, typ, out); err != nil {
		return writeFault, err
	}
	return 0, nil
}
