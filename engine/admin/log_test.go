package admin_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/logging"
)

// withLog gives the appliance a ring of 5 lines, 8 written: lines 4 to 8
// are kept.
func withLog(o *admin.Options, _ *runtimeEnv) {
	r := logging.NewRing(5)
	log := zerolog.New(r)
	for i := 1; i <= 8; i++ {
		log.Info().Int("n", i).Str("user", "alice").Msg("signed <in>")
	}
	o.LogRing = r
}

// TestLogClientMatchesLocal: the pages of the recent log, and their
// numbers, are the same locally and through the admin socket.
func TestLogClientMatchesLocal(t *testing.T) {
	read := func(after uint64, limit int) rstep {
		return rstep{fmt.Sprintf("after %d max %d", after, limit), func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return s.Log(ctx, after, limit)
		}}
	}
	steps := []rstep{read(0, 0), read(5, 2), read(7, 2), read(8, 10), read(100, 1), read(2, 5000)}
	line := func(n int) string {
		return fmt.Sprintf(`{"Seq":%d,"Line":{"level":"info","n":%d,"user":"alice","message":"signed \u003cin\u003e"}}`, n, n)
	}
	compareRuntime(t, []envOption{withLog}, steps, func(t *testing.T, o []routcome) {
		expect(t, o[0], "from the oldest", "", "", `{"Lines":[`+line(4)+","+line(5)+","+line(6)+","+line(7)+","+line(8)+`],"Next":8,"Dropped":3}`)
		expect(t, o[1], "two after 5", "", "", `{"Lines":[`+line(6)+","+line(7)+`],"Next":7,"Dropped":0}`)
		expect(t, o[2], "the last", "", "", `{"Lines":[`+line(8)+`],"Next":8,"Dropped":0}`)
		expect(t, o[3], "nothing new", "", "", `{"Lines":[],"Next":8,"Dropped":0}`)
		expect(t, o[4], "after a restart", "", "", `{"Lines":[`+line(4)+`],"Next":4,"Dropped":3}`)
		expect(t, o[5], "too many asked", "", "", `{"Lines":[`+line(4)+","+line(5)+","+line(6)+","+line(7)+","+line(8)+`],"Next":8,"Dropped":1}`)
	})
}

// TestLogPageSize: at most LogDefault lines unless asked for more, and
// never more than LogMax.
func TestLogPageSize(t *testing.T) {
	r := logging.NewRing(logging.RingSize)
	log := zerolog.New(r)
	for i := range admin.LogMax + 10 {
		log.Info().Int("n", i).Msg("line")
	}
	e := newRuntimeEnv(t, func(o *admin.Options, _ *runtimeEnv) { o.LogRing = r })
	ctx := audit.WithActor(t.Context(), socketActor)
	c := serveAdmin(t, e.svc)
	for _, tt := range []struct{ limit, want int }{{0, admin.LogDefault}, {-1, admin.LogDefault}, {3, 3}, {admin.LogMax + 5, admin.LogMax}} {
		for name, s := range map[string]admin.Service{"Local": e.svc, "Client": c} {
			p, err := s.Log(ctx, 0, tt.limit)
			if err != nil || len(p.Lines) != tt.want {
				t.Errorf("%s.Log(0, %d) = %d lines, %v; want %d", name, tt.limit, len(p.Lines), err, tt.want)
			}
		}
	}
}

// TestLogNeedsTheAppliance: without the running appliance (db on a
// stopped appliance's database) there is no log to read.
func TestLogNeedsTheAppliance(t *testing.T) {
	l, _, _, _ := newLocal(t)
	p, err := l.Log(audit.WithActor(t.Context(), socketActor), 0, 10)
	if !errors.Is(err, admin.ErrUnavailable) || len(p.Lines) != 0 || !strings.Contains(err.Error(), "the appliance must be running (simphony-remote serve)") {
		t.Errorf("Log without the appliance = %+v, %v; want ErrUnavailable saying to run serve", p, err)
	}
}

// TestLogOnlyOnTheHost: the log tells who signed in from where and every
// part's errors; an administrator's browser or API token (any caller but
// the admin socket's) is refused.
func TestLogOnlyOnTheHost(t *testing.T) {
	e := newRuntimeEnv(t, withLog)
	for _, ctx := range []context.Context{
		audit.WithActor(t.Context(), audit.Actor{Name: "bob", Address: "192.0.2.7"}),
		t.Context(),
	} {
		p, err := e.svc.Log(ctx, 0, 10)
		if !errors.Is(err, admin.ErrHostOnly) || len(p.Lines) != 0 || !strings.Contains(err.Error(), "use the desktop console (simphony-remote console) or the admin socket") {
			t.Errorf("Log off the host = %+v, %v; want ErrHostOnly naming the console", p, err)
		}
	}
	if p, err := e.svc.Log(audit.WithActor(t.Context(), socketActor), 0, 10); err != nil || len(p.Lines) != 5 {
		t.Errorf("Log on the socket = %+v, %v; want 5 lines", p, err)
	}
}
