package auth

import "crypto/rand"

// RandomPassword returns 20 characters from an alphabet without
// look-alikes (about 116 bits), drawn without modulo bias: the password
// the appliance makes up for a user, shown once to an administrator.
func RandomPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	const limit = 256 - 256%len(alphabet)
	out := make([]byte, 0, 20)
	var b [1]byte
	for len(out) < cap(out) {
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24).
		if int(b[0]) < limit {
			out = append(out, alphabet[int(b[0])%len(alphabet)])
		}
	}
	return string(out)
}
