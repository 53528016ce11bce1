package session_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/session"
)

func TestDescribe(t *testing.T) {
	t.Run("answering", func(t *testing.T) {
		lookup := func(_ context.Context, ref string) (protocol.Image, error) {
			if ref == "missing" {
				return protocol.Image{}, fmt.Errorf("looking up: %w", session.ErrImageNotFound)
			}
			return protocol.Image{Name: ref, UIName: "UI " + ref}, nil
		}
		d := session.Describe(t.Context(), lookup, []string{"a", "missing", "a"})
		if !d.Answering || d.Images["a"].UIName != "UI a" || !errors.Is(d.Errs["missing"], session.ErrImageNotFound) {
			t.Errorf("Describe = %+v", d)
		}
	})
	t.Run("a runtime that never answers", func(t *testing.T) {
		calls := 0
		hang := func(ctx context.Context, ref string) (protocol.Image, error) {
			calls++
			<-ctx.Done()
			return protocol.Image{}, fmt.Errorf("inspecting %s: %w", ref, ctx.Err())
		}
		began := time.Now()
		d := session.Describe(t.Context(), hang, []string{"a", "b", "c"})
		if took := time.Since(began); took > session.ListingTimeout+time.Second {
			t.Errorf("Describe took %s", took)
		}
		if d.Answering || calls != 1 || len(d.Errs) != 3 || !errors.Is(d.Errs["c"], session.ErrUnavailable) {
			t.Errorf("Describe = %+v after %d lookups, want one lookup and every image unavailable", d, calls)
		}
	})
}
