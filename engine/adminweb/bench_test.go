package adminweb_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// BenchmarkUsersPage renders the users page, first page and a search,
// with 10,000 users in admin.Local on a bbolt file.
func BenchmarkUsersPage(b *testing.B) {
	f := newFixture(b)
	for i := range 10_000 {
		if err := f.store.CreateUser(b.Context(), accounting.User{Name: fmt.Sprintf("user%05d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	for _, target := range []string{"/admin/users", "/admin/users?q=user09&page=3"} {
		b.Run(target, func(b *testing.B) {
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, target, nil)
				r.Header.Set("X-Test-Admin", "yes")
				w := httptest.NewRecorder()
				f.h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", target, w.Code)
				}
			}
		})
	}
}
