package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestHashAndVerify(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash = %q", h)
	}
	if strings.Contains(h, "correct horse") {
		t.Fatal("the hash contains the password")
	}
	if err := VerifyPassword(h, "correct horse"); err != nil {
		t.Errorf("right password: %v", err)
	}
	if err := VerifyPassword(h, "correct horsE"); !errors.Is(err, ErrMismatch) {
		t.Errorf("wrong password: %v, want ErrMismatch", err)
	}
	h2, _ := HashPassword("correct horse")
	if h2 == h {
		t.Error("two hashes of one password are equal: salt not random")
	}
}

func TestCheckPassword(t *testing.T) {
	for pw, want := range map[string]string{
		"short":                   "use at least 8",
		strings.Repeat("x", 1025): "longer than 1024",
		"line\nbreak!":            "line break",
		"bad\xffutf8":             "not valid UTF-8",
		"a fine passphrase":       "",
		"ünïcödé-pässwörd":        "",
	} {
		err := CheckPassword(pw)
		if want == "" {
			if err != nil {
				t.Errorf("CheckPassword(%q) = %v", pw, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckPassword(%q) = %v, want %q", pw, err, want)
		}
	}
	if _, err := HashPassword("short"); err == nil {
		t.Error("HashPassword accepted a short password")
	}
}

func TestVerifyDamagedHash(t *testing.T) {
	for _, h := range []string{
		"", "plain", "$2y$10$bcrypt",
		"$argon2id$v=18$m=65536,t=2,p=2$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=999999999,t=2,p=2$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=65536,t=0,p=2$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=65536,t=2,p=2$!!$a2V5a2V5a2V5a2V5a2V5a2V5",
	} {
		err := VerifyPassword(h, "whatever1")
		if err == nil || errors.Is(err, ErrMismatch) {
			t.Errorf("VerifyPassword(%q) = %v, want a damaged-hash error", h, err)
		}
	}
}
