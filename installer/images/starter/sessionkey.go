package main

import (
	"crypto/subtle"
	"log"
	"net/http"
)

// The session key: a random secret the appliance gives each session's
// container in envSessionKey and adds, as headerSessionKey, to every
// request it proxies there (HTTP and WebSocket); it removes any such header
// that a browser sends. The container's port is published on 127.0.0.1, so
// any local process could connect to it; without the key it gets 403. No
// other local user can learn the key: the container's processes run as the
// session owner's own UID, and /proc/PID/environ is readable only by that
// UID and root, and `docker inspect` needs root or the docker group.
const (
	envSessionKey    = "SIMPHONY_SESSION_KEY"
	headerSessionKey = "X-Simphony-Session-Key"
)

// requireSessionKey answers 403 to requests that do not carry key, and
// removes the header from those that do, so that the application (and any
// page that echoes headers) never sees it. Only requests that carry the key
// come from the appliance, so only on those are headers it sets, such as
// X-Remote-User, to be trusted. With no key (started by hand, or by an
// appliance older than the key), every request passes, as before.
func requireSessionKey(key string, next http.Handler) http.Handler {
	if key == "" {
		log.Printf("%s is not set: any local process may use this port", envSessionKey)
		return next
	}
	want := []byte(key)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get(headerSessionKey)
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			http.Error(w, "forbidden: this port serves the simphony-remote appliance's proxy only", http.StatusForbidden)
			return
		}
		r.Header.Del(headerSessionKey)
		next.ServeHTTP(w, r)
	})
}
