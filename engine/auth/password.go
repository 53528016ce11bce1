// Package auth checks who a caller is: local passwords, and later login
// sessions and API tokens.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// Argon2id parameters for new hashes: one of OWASP's recommended
// configurations (19 MiB, 2 passes, 1 lane). They are stored in each hash,
// so they can change without invalidating old ones.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password length limits, in bytes.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 1024
)

// ErrMismatch is returned by VerifyPassword for a wrong password.
var ErrMismatch = errors.New("password does not match")

// CheckPassword says whether a new password is acceptable.
func CheckPassword(pw string) error {
	switch {
	case len(pw) < MinPasswordLen:
		return fmt.Errorf("the password is %d bytes long; use at least %d", len(pw), MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return fmt.Errorf("the password is longer than %d bytes", MaxPasswordLen)
	case !utf8.ValidString(pw):
		return errors.New("the password is not valid UTF-8")
	case strings.ContainsAny(pw, "\x00\r\n"):
		return errors.New("the password contains a NUL or line break")
	}
	return nil
}

// PasswordError refuses a new password without showing it; it matches
// accounting.ErrInvalid. Every way of setting a password (an administrator's,
// the user's own) checks it with CheckNewPassword or HashNewPassword.
type PasswordError struct{ Err error }

func (e *PasswordError) Error() string        { return "invalid password: " + e.Err.Error() }
func (e *PasswordError) Is(target error) bool { return target == accounting.ErrInvalid }

// CheckNewPassword is CheckPassword, refusing with a *PasswordError.
func CheckNewPassword(pw string) error {
	if err := CheckPassword(pw); err != nil {
		return &PasswordError{err}
	}
	return nil
}

// HashNewPassword checks and hashes a new password, refusing with a
// *PasswordError.
func HashNewPassword(pw string) (string, error) {
	h, err := HashPassword(pw)
	if err != nil {
		return "", &PasswordError{err}
	}
	return h, nil
}

// HashPassword returns an argon2id hash of pw in the PHC string format,
// $argon2id$v=19$m=…,t=…,p=…$salt$hash.
func HashPassword(pw string) (string, error) {
	if err := CheckPassword(pw); err != nil {
		return "", err
	}
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails (Go ≥ 1.24).
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword checks pw against a hash made by HashPassword. It returns
// ErrMismatch for a wrong password and another error for a damaged hash.
func VerifyPassword(hash, pw string) error {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return errors.New("password hash: not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return fmt.Errorf("password hash: unsupported version %q", parts[2])
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || t == 0 || p == 0 || m < 8*uint32(p) || m > 4<<20 || t > 64 {
		return fmt.Errorf("password hash: bad parameters %q", parts[3])
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return errors.New("password hash: bad salt")
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 128 {
		return errors.New("password hash: bad key")
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}
