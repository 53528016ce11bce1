package config

import (
	"strings"
	"testing"
)

func TestUIDRange(t *testing.T) {
	tests := []struct {
		name    string
		src     Sources
		wantErr []string
	}{
		{"a removed key in the file", Sources{File: "testdata/home-uid.toml"},
			[]string{"configuration key sessions.home_uid (testdata/home-uid.toml): removed", "sessions.uid_range"}},
		{"a removed key in the environment", Sources{Env: []string{"SIMPHONY_REMOTE_SESSIONS_HOME_GID=1000"}},
			[]string{"environment SIMPHONY_REMOTE_SESSIONS_HOME_GID", "removed", "sessions.uid_range"}},
		{"a range over host accounts", Sources{File: "testdata/low-uid-range.toml"},
			[]string{"sessions.uid_range", "must lie within 65536-2147483646"}},
		{"a reversed range", Sources{Env: []string{"SIMPHONY_REMOTE_SESSIONS_UID_RANGE=300000-200000"}},
			[]string{"sessions.uid_range", "the first uid is above the last"}},
		{"not a range", Sources{Env: []string{"SIMPHONY_REMOTE_SESSIONS_UID_RANGE=lots"}},
			[]string{"sessions.uid_range", "want FIRST-LAST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.src)
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	l, err := Load(Sources{Env: []string{"SIMPHONY_REMOTE_SESSIONS_UID_RANGE=200000-299999"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := l.Sessions.UIDRange; r.First != 200000 || r.Last != 299999 {
		t.Errorf("uid_range from the environment is %s", r)
	}
	if d := Default().Sessions.UIDRange; d.String() != "1900000000-1900099999" {
		t.Errorf("the default range is %s", d)
	}
}
