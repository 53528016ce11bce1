package logging

import (
	"bytes"
	"encoding/json"
	"sync"
	"unicode/utf8"
)

// RingSize is how many recent log lines the appliance keeps for the
// desktop console.
const RingSize = 2000

// MaxLine bounds a line kept in a Ring, in bytes; a longer one is cut (see
// Ring.Write).
const MaxLine = 16 << 10

// Line is a log line kept in a Ring.
type Line struct {
	// Seq numbers the lines written to the ring, from 1 on.
	Seq uint64
	// JSON is the line: one JSON object, without its newline. It never
	// changes once kept, and is shared by every reader.
	JSON []byte
}

// Ring keeps the last lines written to it, for whoever wants to read the
// recent log of a running appliance (the desktop console, through the
// admin socket). It is an io.Writer for zerolog, which writes one JSON
// record per Write. It is safe for concurrent use, and a Write never waits
// for a reader longer than it takes the reader to copy the lines' headers.
type Ring struct {
	mu    sync.Mutex
	lines []Line // circular: the line of seq s is at (s-1) % len(lines)
	next  uint64 // the seq of the next line written
}

// NewRing returns a ring that keeps the last n lines (at least one).
func NewRing(n int) *Ring {
	return &Ring{lines: make([]Line, max(n, 1)), next: 1}
}

// Write keeps p, one log record, as a line. zerolog reuses p once Write
// returns: the line is a copy. A record that is not a JSON object, or is
// longer than MaxLine, is kept as {"message": TEXT} with TEXT its first
// bytes, and "truncated": its length in bytes when they are not all there.
// Write never fails.
func (r *Ring) Write(p []byte) (int, error) {
	line := keep(p)
	r.mu.Lock()
	r.lines[(r.next-1)%uint64(len(r.lines))] = Line{Seq: r.next, JSON: line}
	r.next++
	r.mu.Unlock()
	return len(p), nil
}

// Lines returns the lines after the seq after, oldest first, at most limit
// of them (limit < 1: all there are), and the seq to ask after next time.
// dropped counts the lines after after that the ring no longer keeps. An
// after beyond the newest line (the caller read a ring of an appliance
// that has since restarted) reads from the oldest line kept: next is then
// lower than after.
func (r *Ring) Lines(after uint64, limit int) (lines []Line, next, dropped uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	size := uint64(len(r.lines))
	newest := r.next - 1
	oldest := uint64(1)
	if newest > size {
		oldest = newest - size + 1
	}
	if after > newest {
		after = 0
	}
	from := after + 1
	if from < oldest {
		dropped, from = oldest-from, oldest
	}
	count := newest + 1 - from // from ≤ newest+1
	if limit > 0 && count > uint64(limit) {
		count = uint64(limit)
	}
	lines = make([]Line, count)
	for i := range lines {
		lines[i] = r.lines[(from+uint64(i)-1)%size]
	}
	return lines, from + count - 1, dropped
}

// keep is the line to keep for the record p: a copy.
func keep(p []byte) []byte {
	p = bytes.TrimSuffix(p, []byte("\n"))
	if len(p) <= MaxLine && len(p) > 0 && p[0] == '{' && json.Valid(p) {
		return bytes.Clone(p)
	}
	return marked(p)
}

// marked is {"message": TEXT, "truncated": N} for a record p that cannot
// be kept as it is, of at most MaxLine bytes: TEXT is p, or a long
// beginning of it that fits (cut on a character boundary), and N, p's
// length, is there only when TEXT is not the whole of p.
func marked(p []byte) []byte {
	encode := func(n int) []byte {
		rec := struct {
			Message   string `json:"message"`
			Truncated int    `json:"truncated,omitempty"`
		}{Message: string(p[:n])}
		if n < len(p) {
			rec.Truncated = len(p)
		}
		b, _ := json.Marshal(rec) // a string and an int
		return b
	}
	if len(p) <= MaxLine {
		if b := encode(len(p)); len(b) <= MaxLine {
			return b
		}
	}
	// Escaping lengthens the text by up to 6 times: look for the longest
	// beginning that fits. An empty one always does.
	lo, hi := 0, min(len(p), MaxLine)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if len(encode(mid)) <= MaxLine {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	for lo > 0 && !utf8.RuneStart(p[lo]) {
		lo-- // a shorter beginning: it fits too
	}
	return encode(lo)
}
