// Package human writes values for people to read in messages: durations as
// "15 minutes" or "1 hour 30 minutes", never Go's "15m0s".
package human

import (
	"strconv"
	"strings"
	"time"
)

// units are the units Duration uses, largest first.
var units = []struct {
	d    time.Duration
	name string
}{
	{24 * time.Hour, "day"},
	{time.Hour, "hour"},
	{time.Minute, "minute"},
	{time.Second, "second"},
}

// Duration writes d in words with its two largest units, rounded to the
// nearest smaller one: "41 seconds", "15 minutes", "2 minutes 5 seconds",
// "1 hour 30 minutes", "7 days". A positive d under half a second is "less
// than a second"; a negative one has a minus sign: "-5 seconds".
func Duration(d time.Duration) string {
	switch {
	case d == 0:
		return "0 seconds"
	case d < 0:
		return "-" + Duration(-d)
	}
	if d < time.Second/2 {
		return "less than a second"
	}
	i := 0
	for i < len(units)-1 && d.Round(units[i+1].d) < units[i].d {
		i++
	}
	if i < len(units)-1 {
		d = d.Round(units[i+1].d)
	} else {
		d = d.Round(time.Second)
	}
	var parts []string
	for _, u := range units[i:min(i+2, len(units))] {
		if n := int64(d / u.d); n > 0 {
			parts = append(parts, count(n, u.name))
		}
		d %= u.d
	}
	return strings.Join(parts, " ")
}

func count(n int64, unit string) string {
	s := strconv.FormatInt(n, 10) + " " + unit
	if n != 1 {
		s += "s"
	}
	return s
}
