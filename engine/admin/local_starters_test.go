package admin_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/admin"
)

// The build's log keeps its last lines only, and Close cancels a build
// under way, waits for it, and refuses new ones.
func TestStartersLogAndClose(t *testing.T) {
	wrote := make(chan struct{})
	l := admin.NewLocal(newStore(t), admin.Options{Starters: func(ctx context.Context, progress io.Writer) error {
		for i := 1; i <= admin.StartersLogLines+50; i++ {
			fmt.Fprintf(progress, "line %d\r", i)
		}
		close(wrote)
		<-ctx.Done()
		return fmt.Errorf("building the starter images: %w", ctx.Err())
	}})
	if err := l.BuildStarters(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-wrote
	b, err := l.Starters(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !b.Running || len(b.Log) != admin.StartersLogLines || b.Log[0] != "line 51" || b.Log[len(b.Log)-1] != "line 250" {
		t.Errorf("running build: running %v, %d lines from %q to %q", b.Running, len(b.Log), b.Log[0], b.Log[len(b.Log)-1])
	}
	l.Close()
	b, _ = l.Starters(t.Context())
	if b.Running || b.Finished.IsZero() || !strings.Contains(b.Err, "context canceled") {
		t.Errorf("after Close: %+v", b)
	}
	if err := l.BuildStarters(t.Context()); !errors.Is(err, admin.ErrUnavailable) {
		t.Errorf("BuildStarters after Close = %v, want ErrUnavailable", err)
	}
}
