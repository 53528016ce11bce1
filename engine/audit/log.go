package audit

import (
	"context"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"
)

// Field lengths kept, in bytes: a sign-in form or a request body cannot
// fill the log with one entry.
const (
	maxShort  = 256  // actor, address, action, target
	maxDetail = 1024 // detail, error included
)

// Log records entries in a Store. A nil *Log records nothing, so callers
// need no checks.
type Log struct {
	store  Store
	log    zerolog.Logger
	now    func() time.Time
	failed atomic.Uint64
}

// NewLog returns a Log writing to store, reporting failed writes to log.
// With a nil store it returns nil: a Log that records nothing.
func NewLog(store Store, log zerolog.Logger) *Log {
	if store == nil {
		return nil
	}
	return &Log{store: store, log: log, now: time.Now}
}

// Record writes an entry: the Actor of ctx (System when it has none),
// action, target and detail, and the result of the change: ResultOK when
// err is nil, else ResultFailed with err's message after the detail.
//
// Record never fails its caller: a failed write is logged and counted
// (Failures). It writes even when ctx is cancelled, since the change it
// records may have happened. detail must not hold secrets (passwords,
// hashes, tokens); nor should err's message.
func (l *Log) Record(ctx context.Context, action, target, detail string, err error) {
	if l == nil {
		return
	}
	a, ok := ActorFrom(ctx)
	if !ok || a.Name == "" {
		a.Name = System
	}
	e := Entry{
		Time:    l.now().UTC().Truncate(time.Millisecond),
		Actor:   clip(a.Name, maxShort),
		Address: clip(a.Address, maxShort),
		Action:  clip(action, maxShort),
		Target:  clip(target, maxShort),
		Detail:  detail,
		Result:  ResultOK,
	}
	if err != nil {
		e.Result = ResultFailed
		if e.Detail == "" {
			e.Detail = err.Error()
		} else {
			e.Detail += "; " + err.Error()
		}
	}
	e.Detail = clip(e.Detail, maxDetail)
	if _, werr := l.store.AppendAudit(context.WithoutCancel(ctx), e); werr != nil {
		l.failed.Add(1)
		l.log.Error().Err(werr).Str("action", e.Action).Str("actor", e.Actor).Str("target", e.Target).
			Str("result", e.Result).Msg("could not write to the audit log")
	}
}

// Failures is how many entries could not be written.
func (l *Log) Failures() uint64 {
	if l == nil {
		return 0
	}
	return l.failed.Load()
}

// clip cuts s to at most n bytes, on a rune boundary, marking the cut
// with "…".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}
