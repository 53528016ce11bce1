package dockertest

import (
	"net"
	"path/filepath"
	"sync"
	"testing"
)

// Hanging is a Docker endpoint that accepts connections and never answers:
// a daemon that hangs (a fake on purpose: the real one does not hang on
// demand). It returns the endpoint as a docker.host value and a channel
// that hears of each connection it accepts (without blocking it).
func Hanging(t testing.TB) (string, <-chan struct{}) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "docker.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{}, 100)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "unix://" + path, accepted
}
