//go:build !linux

package caddymodule

// waitReadable returns at once: the copy waits in Read, holding its
// buffer, where there is no peeking without waiting.
func (t *tunnel) waitReadable() error { return nil }
