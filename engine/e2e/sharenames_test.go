package e2e

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// Sharing does not tell which user names exist: sharing with a name that
// does not exist and with an account that cannot use the share (disabled)
// get the very same answer, from the API (so the app share command) and
// from the portal's form.
func TestShareDoesNotRevealNames(t *testing.T) {
	s := newSetup(t)
	ctx := t.Context()
	store := s.App.Store()
	shared, err := store.Grant(ctx, "alice", s.image, accounting.Policy{AllowView: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateUser(ctx, accounting.User{Name: "carol", Disabled: true}); err != nil {
		t.Fatal(err)
	}
	alice := s.Login("alice", "password-alice")
	path := startSession(t, alice, shared)
	urlID := strings.Split(path, "/")[4]
	me := tokenFor(t, s.Server, "alice", "password-alice")

	answer := func(user string) (int, []byte) {
		code, body, _ := me.do("POST", "/api/v1/containers/"+urlID+"/shares", map[string]string{"user": user, "mode": "view"})
		return code, body
	}
	codeNobody, bodyNobody := answer("nobody")
	codeCarol, bodyCarol := answer("carol")
	if codeNobody != http.StatusBadRequest || codeNobody != codeCarol || !bytes.Equal(bodyNobody, bodyCarol) {
		t.Errorf("API: sharing with nobody answers %d %s; with disabled carol %d %s: want the same 400", codeNobody, bodyNobody, codeCarol, bodyCarol)
	}
	if code, body := answer("bob"); code != http.StatusCreated {
		t.Errorf("API: sharing with bob: %d %s", code, body)
	}

	portal := func(user string) (int, string) {
		resp := alice.PostForm("/share", url.Values{"url_id": {urlID}, "user": {user}, "mode": {"view"}})
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	codeNobodyP, pageNobody := portal("nobody")
	codeCarolP, pageCarol := portal("carol")
	if codeNobodyP != http.StatusBadRequest || codeNobodyP != codeCarolP || pageNobody != pageCarol {
		t.Errorf("portal: sharing with nobody answers %d, with disabled carol %d; the pages differ: %v", codeNobodyP, codeCarolP, pageNobody != pageCarol)
	}
	if !strings.Contains(pageNobody, "flash error") {
		t.Errorf("portal: no error shown:\n%s", pageNobody)
	}
}
