package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestVolumes(t *testing.T) {
	l, err := Load(Sources{Env: []string{"SIMPHONY_REMOTE_VOLUMES_ALLOWED_ROOTS=/srv/data, /mnt/lab data"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/srv/data", "/mnt/lab data"}; !reflect.DeepEqual(l.Volumes.AllowedRoots, want) {
		t.Errorf("volumes.allowed_roots = %q, want %q", l.Volumes.AllowedRoots, want)
	}
	if d := Default().Volumes.AllowedRoots; d == nil || len(d) != 0 {
		t.Errorf("default volumes.allowed_roots = %#v, want none", d)
	}

	tests := []struct {
		src     Sources
		wantErr string
	}{
		{Sources{File: "testdata/volumes-relative.toml"}, `configuration key volumes.allowed_roots (testdata/volumes-relative.toml): "srv/other" is not an absolute path`},
		{Sources{Env: []string{"SIMPHONY_REMOTE_VOLUMES_ALLOWED_ROOTS=/"}}, `volumes.allowed_roots (environment SIMPHONY_REMOTE_VOLUMES_ALLOWED_ROOTS): "/" would allow the whole host`},
		{Sources{Env: []string{"SIMPHONY_REMOTE_VOLUMES_ALLOWED_ROOTS=/srv/data/"}}, `"/srv/data/" is not clean: write it /srv/data`},
		{Sources{Env: []string{"SIMPHONY_REMOTE_VOLUMES_ALLOWED_ROOTS=/srv/../etc"}}, `"/srv/../etc" is not clean: write it /etc`},
		{Sources{Env: []string{"SIMPHONY_REMOTE_VOLUMES_ALLOWED_ROOTS=/srv/a:b"}}, `"/srv/a:b" contains ':', which volumes cannot`},
	}
	for _, tt := range tests {
		t.Run(tt.wantErr, func(t *testing.T) {
			_, err := Load(tt.src)
			var cerr *Error
			if !errors.As(err, &cerr) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want a config error containing %q", err, tt.wantErr)
			}
		})
	}
}
