package config

import (
	"errors"
	"strings"
	"testing"
)

func TestWebSocketsConfig(t *testing.T) {
	tests := []struct {
		env     []string
		wantErr string // "" for valid
	}{
		{[]string{"SIMPHONY_REMOTE_WEBSOCKETS_PER_USER=3", "SIMPHONY_REMOTE_WEBSOCKETS_TOTAL=5"}, ""},
		{[]string{"SIMPHONY_REMOTE_WEBSOCKETS_PER_USER=0"}, "websockets.per_user (environment SIMPHONY_REMOTE_WEBSOCKETS_PER_USER): 0 must be from 1 to 1000000"},
		{[]string{"SIMPHONY_REMOTE_WEBSOCKETS_TOTAL=-1"}, "websockets.total (environment SIMPHONY_REMOTE_WEBSOCKETS_TOTAL): -1 must be from 1"},
		{[]string{"SIMPHONY_REMOTE_WEBSOCKETS_TOTAL=50"}, "websockets.per_user (default): 100 must be at most websockets.total (50)"},
		{[]string{"SIMPHONY_REMOTE_WEBSOCKETS_TOTAL=many"}, `websockets.total (environment SIMPHONY_REMOTE_WEBSOCKETS_TOTAL): "many" is not`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.env, " "), func(t *testing.T) {
			l, err := Load(Sources{Env: tt.env})
			if tt.wantErr == "" {
				if err != nil || l.WebSockets != (WebSockets{PerUser: 3, Total: 5}) {
					t.Fatalf("Load = %+v, %v", l, err)
				}
				return
			}
			var cerr *Error
			if !errors.As(err, &cerr) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want a config error containing %q", err, tt.wantErr)
			}
		})
	}
}
