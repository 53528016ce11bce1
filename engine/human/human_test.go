package human

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-5 * time.Second, "-5 seconds"},
		{0, "0 seconds"},
		{300 * time.Millisecond, "less than a second"},
		{700 * time.Millisecond, "1 second"},
		{time.Second, "1 second"},
		{41*time.Second + 400*time.Millisecond, "41 seconds"},
		{59*time.Second + 600*time.Millisecond, "1 minute"},
		{time.Minute, "1 minute"},
		{2*time.Minute + 5*time.Second, "2 minutes 5 seconds"},
		{15 * time.Minute, "15 minutes"},
		{15*time.Minute - 30*time.Millisecond, "15 minutes"}, // a fresh lockout
		{14*time.Minute + 32*time.Second, "14 minutes 32 seconds"},
		{59*time.Minute + 59*time.Second + 600*time.Millisecond, "1 hour"},
		{time.Hour, "1 hour"},
		{time.Hour + 29*time.Second, "1 hour"},
		{time.Hour + 30*time.Second, "1 hour 1 minute"},
		{90 * time.Minute, "1 hour 30 minutes"},
		{2 * time.Hour, "2 hours"},
		{23*time.Hour + 59*time.Minute + 40*time.Second, "1 day"},
		{36 * time.Hour, "1 day 12 hours"},
		{7 * 24 * time.Hour, "7 days"},
	} {
		if got := Duration(tc.d); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
