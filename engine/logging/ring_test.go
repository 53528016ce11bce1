package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// write writes the records {"n": from} to {"n": to} to r.
func write(t *testing.T, r *Ring, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		rec := fmt.Sprintf("{\"n\":%d}\n", i)
		if n, err := r.Write([]byte(rec)); n != len(rec) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", rec, n, err)
		}
	}
}

// page is what Lines returned, as "seq:json ..." and its next and dropped.
func page(lines []Line, next, dropped uint64) string {
	var parts []string
	for _, l := range lines {
		parts = append(parts, fmt.Sprintf("%d:%s", l.Seq, l.JSON))
	}
	return fmt.Sprintf("[%s] next %d dropped %d", strings.Join(parts, " "), next, dropped)
}

func TestRingLines(t *testing.T) {
	r := NewRing(3)
	if got, want := page(r.Lines(0, 10)), "[] next 0 dropped 0"; got != want {
		t.Errorf("an empty ring: %s, want %s", got, want)
	}
	write(t, r, 1, 2)
	for _, tt := range []struct {
		after uint64
		limit int
		want  string
	}{
		{0, 10, `[1:{"n":1} 2:{"n":2}] next 2 dropped 0`},
		{0, 1, `[1:{"n":1}] next 1 dropped 0`},
		{1, 10, `[2:{"n":2}] next 2 dropped 0`},
		{2, 10, `[] next 2 dropped 0`},
		{0, 0, `[1:{"n":1} 2:{"n":2}] next 2 dropped 0`},
	} {
		if got := page(r.Lines(tt.after, tt.limit)); got != tt.want {
			t.Errorf("Lines(%d, %d) = %s, want %s", tt.after, tt.limit, got, tt.want)
		}
	}

	// Around the ring: the oldest lines go, and a reader behind is told
	// how many it missed.
	write(t, r, 3, 7)
	for _, tt := range []struct {
		after uint64
		limit int
		want  string
	}{
		{0, 10, `[5:{"n":5} 6:{"n":6} 7:{"n":7}] next 7 dropped 4`},
		{2, 10, `[5:{"n":5} 6:{"n":6} 7:{"n":7}] next 7 dropped 2`},
		{2, 2, `[5:{"n":5} 6:{"n":6}] next 6 dropped 2`},
		{4, 10, `[5:{"n":5} 6:{"n":6} 7:{"n":7}] next 7 dropped 0`},
		{5, 1, `[6:{"n":6}] next 6 dropped 0`},
		{6, 10, `[7:{"n":7}] next 7 dropped 0`},
		{7, 10, `[] next 7 dropped 0`},
		// A reader of an earlier appliance's ring starts again.
		{99, 10, `[5:{"n":5} 6:{"n":6} 7:{"n":7}] next 7 dropped 4`},
	} {
		if got := page(r.Lines(tt.after, tt.limit)); got != tt.want {
			t.Errorf("after 7 writes, Lines(%d, %d) = %s, want %s", tt.after, tt.limit, got, tt.want)
		}
	}
}

// TestRingCopies: zerolog reuses the bytes it writes, and the ring keeps
// its own copy.
func TestRingCopies(t *testing.T) {
	r := NewRing(10)
	buf := []byte(`{"message":"first"}` + "\n")
	r.Write(buf)
	copy(buf, `{"message":"XXXXX"}`)
	r.Write(buf)
	if got, want := page(r.Lines(0, 0)), `[1:{"message":"first"} 2:{"message":"XXXXX"}] next 2 dropped 0`; got != want {
		t.Errorf("lines = %s, want %s", got, want)
	}
}

// TestRingMarksWhatIsNotALine: a record longer than MaxLine, or not a JSON
// object, is kept as a message with its beginning, still JSON and within
// the bound.
func TestRingMarksWhatIsNotALine(t *testing.T) {
	long := `{"message":"` + strings.Repeat("é", MaxLine) + `"}`
	quotes := strings.Repeat(`"`, 2*MaxLine) // each one doubles when escaped
	tests := []struct {
		name, record string
		message      string // the kept message, or its beginning with …
		truncated    int
	}{
		{"long", long, `{"message":"éééé…`, len(long)},
		{"quotes", quotes, `"""""…`, len(quotes)},
		{"not JSON", "disk on fire", "disk on fire", 0},
		{"not an object", `"just a string"`, `"just a string"`, 0},
		{"broken JSON", `{"message":"cut`, `{"message":"cut`, 0},
		{"just fits", `{"m":"` + strings.Repeat("x", MaxLine-8) + `"}`, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRing(1)
			r.Write([]byte(tt.record + "\n"))
			lines, _, _ := r.Lines(0, 0)
			got := lines[0].JSON
			if len(got) > MaxLine || !json.Valid(got) {
				t.Fatalf("kept %d bytes, valid JSON %v: %.200s", len(got), json.Valid(got), got)
			}
			if tt.message == "" {
				if string(got) != tt.record {
					t.Errorf("kept %.100s…, want the record as it is", got)
				}
				return
			}
			var rec struct {
				Message   string
				Truncated int
			}
			if err := json.Unmarshal(got, &rec); err != nil {
				t.Fatal(err)
			}
			if rec.Truncated != tt.truncated || !utf8.ValidString(rec.Message) {
				t.Errorf("truncated %d (valid UTF-8 %v), want %d", rec.Truncated, utf8.ValidString(rec.Message), tt.truncated)
			}
			if prefix, cut := strings.CutSuffix(tt.message, "…"); cut {
				if !strings.HasPrefix(rec.Message, prefix) || len(rec.Message) < MaxLine/3 || !strings.HasPrefix(tt.record, rec.Message) {
					t.Errorf("message %.40s… (%d bytes): want a long beginning of the record", rec.Message, len(rec.Message))
				}
			} else if rec.Message != tt.message {
				t.Errorf("message %q, want %q", rec.Message, tt.message)
			}
		})
	}
}

// TestNewAlsoWritesJSON: the logger's other writers get JSON records, even
// when the main output is for people.
func TestNewAlsoWritesJSON(t *testing.T) {
	var out bytes.Buffer
	r := NewRing(10)
	log, err := New(&out, "info", "console", r)
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Str("user", "alice").Msg("hello")
	log.Debug().Msg("quiet")
	if !strings.Contains(out.String(), "hello") || json.Valid(out.Bytes()) {
		t.Errorf("the console output: %q", out.String())
	}
	lines, _, _ := r.Lines(0, 0)
	if len(lines) != 1 {
		t.Fatalf("the ring holds %d lines, want 1", len(lines))
	}
	var rec map[string]any
	if err := json.Unmarshal(lines[0].JSON, &rec); err != nil || rec["message"] != "hello" || rec["user"] != "alice" || rec["level"] != "info" || rec["time"] == nil {
		t.Errorf("the ring's line %s: %v", lines[0].JSON, err)
	}
}

// TestRingConcurrent: writers and readers at once (run with -race); every
// page a reader gets is the next lines in order, each as written.
func TestRingConcurrent(t *testing.T) {
	const writers, each = 4, 2000
	r := NewRing(100)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			log, _ := New(r, "info", "json")
			for i := range each {
				log.Info().Int("writer", w).Int("i", i).Msg("concurrent")
			}
		})
	}
	done := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			var after, seen uint64
			lastI := map[float64]float64{}
			for {
				finished := false
				select {
				case <-done:
					finished = true
				default:
				}
				lines, next, dropped := r.Lines(after, 30)
				if len(lines) > 0 && lines[0].Seq != after+dropped+1 {
					t.Errorf("after %d (dropped %d) the page starts at %d", after, dropped, lines[0].Seq)
					return
				}
				for k, l := range lines {
					if k > 0 && l.Seq != lines[k-1].Seq+1 {
						t.Errorf("seq %d follows %d", l.Seq, lines[k-1].Seq)
						return
					}
					var rec struct {
						Writer, I float64
						Message   string
					}
					if err := json.Unmarshal(l.JSON, &rec); err != nil || rec.Message != "concurrent" {
						t.Errorf("line %d: %s: %v", l.Seq, l.JSON, err)
						return
					}
					if last, ok := lastI[rec.Writer]; ok && rec.I <= last {
						t.Errorf("writer %v's line %v after its line %v", rec.Writer, rec.I, last)
						return
					}
					lastI[rec.Writer] = rec.I
				}
				if len(lines) > 0 && next != lines[len(lines)-1].Seq || len(lines) == 0 && next != after {
					t.Errorf("next %d after a page of %d lines after %d", next, len(lines), after)
					return
				}
				seen += uint64(len(lines)) + dropped
				after = next
				if finished && len(lines) == 0 {
					break
				}
			}
			if seen != writers*each {
				t.Errorf("a reader saw or was told it missed %d lines, want %d", seen, writers*each)
			}
		})
	}
	wg.Wait()
	close(done)
	readers.Wait()
	if _, next, _ := r.Lines(0, 0); next != writers*each {
		t.Errorf("the newest line is %d, want %d", next, writers*each)
	}
}
