package admin

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/logging"
)

// The size of a page of the log (Service.Log).
const (
	LogDefault = 500
	LogMax     = 2000
)

// LogPage is a page of the appliance's recent log.
type LogPage struct {
	// Lines are oldest first.
	Lines []LogLine
	// Next is the after of the next page: the last line's number, or the
	// after asked for when there is no new line. It is below that after
	// when the appliance restarted since (its numbers start again at 1).
	Next uint64
	// Dropped counts the lines after the after asked for that the
	// appliance no longer keeps.
	Dropped uint64
}

// LogLine is a log line of the appliance.
type LogLine struct {
	// Seq numbers the appliance's log lines from 1 on, since it started.
	Seq uint64
	// Line is the record as zerolog wrote it: a JSON object with level,
	// time, message and fields. One longer than logging.MaxLine, or not
	// JSON, is {"message": its beginning, "truncated": its length}.
	Line json.RawMessage
}

// LogRing is the appliance's recent log; *logging.Ring is one.
type LogRing interface {
	Lines(after uint64, limit int) (lines []logging.Line, next, dropped uint64)
}

// Log implements Service. It logs nothing itself: its lines would feed
// the log it reads.
func (l *Local) Log(ctx context.Context, after uint64, limit int) (LogPage, error) {
	if l.opts.LogRing == nil {
		return LogPage{}, fmt.Errorf("reading the log: %w: the appliance must be running (simphony-remote serve): it keeps its recent log lines in its memory", ErrUnavailable)
	}
	// The log tells who signed in from where, and the errors of every
	// part: it is for whoever runs the appliance's machine.
	if a, ok := audit.ActorFrom(ctx); !ok || a.Address != audit.SocketAddress {
		return LogPage{}, fmt.Errorf("reading the log: %w: use the desktop console (simphony-remote console) or the admin socket there", ErrHostOnly)
	}
	if limit < 1 {
		limit = LogDefault
	}
	lines, next, dropped := l.opts.LogRing.Lines(after, min(limit, LogMax))
	p := LogPage{Lines: make([]LogLine, len(lines)), Next: next, Dropped: dropped}
	for i, line := range lines {
		p.Lines[i] = LogLine{Seq: line.Seq, Line: line.JSON}
	}
	return p, nil
}
