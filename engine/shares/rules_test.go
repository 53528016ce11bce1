package shares

import (
	"context"
	"errors"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/protocol"
)

func TestAllowed(t *testing.T) {
	if err := Allowed(accounting.Policy{AllowView: true}); err != nil {
		t.Errorf("allow_view: %v", err)
	}
	err := Allowed(accounting.Policy{AllowHome: true})
	if !errors.Is(err, ErrNotAllowed) || err.Error() != "sharing is not allowed by this application's policy" {
		t.Errorf("no allow_view: %v", err)
	}
}

func TestOpenPath(t *testing.T) {
	const p = "/user/alice/containers/0123456789abcdef0123456789abcdef/"
	for _, tt := range []struct {
		typ  string
		mode Mode
		want string
	}{
		{protocol.TypeVNC, View, p + "?view_only=1&resize=scale"},
		{protocol.TypeVNC, Control, p},
		{protocol.TypeWeb, View, p},
		{"", View, p},
	} {
		if got := OpenPath(p, tt.typ, tt.mode); got != tt.want {
			t.Errorf("OpenPath(%s, %s) = %q, want %q", tt.typ, tt.mode, got, tt.want)
		}
	}
}

type users map[string]accounting.User

func (u users) User(_ context.Context, name string) (accounting.User, error) {
	if x, ok := u[name]; ok {
		return x, nil
	}
	return accounting.User{}, accounting.ErrNotFound
}

func TestRecipient(t *testing.T) {
	us := users{"bob": {Name: "bob"}, "carol": {Name: "carol", Disabled: true}}
	if err := Recipient(t.Context(), us, "bob"); err != nil {
		t.Errorf("bob: %v", err)
	}
	for _, name := range []string{"nobody", "carol", "Bad/Name", ""} {
		if err := Recipient(t.Context(), us, name); err != ErrRecipient {
			t.Errorf("%q: %v, want ErrRecipient itself (the same answer for each)", name, err)
		}
	}
}
