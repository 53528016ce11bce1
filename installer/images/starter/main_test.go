package main

import (
	"io"
	"strings"
	"testing"
)

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "no command given"},
		{"unknown command", []string{"serve"}, `unknown command "serve"`},
		{"webapp without the environment", []string{"webapp"}, "JPY_BASE_USER_URL and URL_ID not set"},
		{"vnc-front without the environment", []string{"vnc-front"}, "JPY_BASE_USER_URL and URL_ID not set"},
		{"webapp with an argument", []string{"webapp", "extra"}, "takes no arguments"},
		{"bad flag", []string{"webapp", "-nope"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(t.Context(), tt.args, func(string) string { return "" }, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}
