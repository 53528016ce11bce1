package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"time"
)

// Environment of the image protocol (engine/protocol holds the same names;
// this program is built on its own, for images, and keeps no dependency on
// the engine).
const (
	envBaseURL = "JPY_BASE_USER_URL"
	envURLID   = "URL_ID"
)

// basePath is where the container is served:
// $JPY_BASE_USER_URL/containers/$URL_ID/, with the leading and trailing
// slash.
func basePath(getenv func(string) string) (string, error) {
	base, id := getenv(envBaseURL), getenv(envURLID)
	var missing []string
	if base == "" {
		missing = append(missing, envBaseURL)
	}
	if id == "" {
		missing = append(missing, envURLID)
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s not set: this program serves under $%s/containers/$%s/ and is meant to be started by simphony-remote",
			strings.Join(missing, " and "), envBaseURL, envURLID)
	}
	if strings.ContainsAny(id, "/?#") {
		return "", fmt.Errorf("%s=%q: a url id holds no '/', '?' or '#'", envURLID, id)
	}
	base = "/" + strings.Trim(base, "/")
	if base == "/" {
		base = ""
	}
	return base + "/containers/" + id + "/", nil
}

// methods answers 405 to anything but GET, HEAD and POST.
func methods(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodPost:
			next.ServeHTTP(w, r)
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

// statusWriter remembers the status code for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Hijack and Flush, which the
// WebSocket upgrade needs.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one line per request to the log: method, path,
// status and duration. Query strings and headers are not logged.
func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		log.Printf("%s %s %d %s", r.Method, r.URL.Path, sw.status, time.Since(start).Round(time.Millisecond))
	})
}

// serve runs h on addr until ctx ends.
func serve(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: logRequests(methods(h)), ReadHeaderTimeout: 30 * time.Second}
	log.Printf("listening on %s", ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serving on %s: %w", addr, err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}
