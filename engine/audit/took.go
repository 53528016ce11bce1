package audit

import (
	"regexp"
	"strconv"
	"time"
)

// Took is the part of a session.start entry's detail that says how long
// the start took, for the session history to find again after a restart
// (see TookOf).
func Took(d time.Duration) string { return "took " + strconv.FormatInt(d.Milliseconds(), 10) + " ms" }

var tookRE = regexp.MustCompile(`\btook (\d+) ms\b`)

// TookOf finds Took's part in a detail.
func TookOf(detail string) (time.Duration, bool) {
	m := tookRE.FindStringSubmatch(detail)
	if m == nil {
		return 0, false
	}
	ms, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
}
