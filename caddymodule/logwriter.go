package caddymodule

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/caddyserver/caddy/v2"
	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/protocol"
)

func init() {
	caddy.RegisterModule(LogWriter{})
}

var logger atomic.Pointer[zerolog.Logger]

// SetLogger sets where Caddy's logs go from now on. Caddy opens its log
// writer once per process and keeps it across caddy.Run and caddy.Stop:
// the writer looks the logger up at each line, so that the logs of an
// appliance started after another in the same process (tests, Restart)
// go to its own log, not to the first one's.
func SetLogger(l zerolog.Logger) {
	l = l.With().Str("component", "caddy").Logger()
	logger.Store(&l)
}

// caddyLogger is the logger SetLogger set last.
func caddyLogger() zerolog.Logger {
	if p := logger.Load(); p != nil {
		return *p
	}
	return zerolog.Nop()
}

// LogWriter is a Caddy log writer module that hands Caddy's JSON log
// entries to zerolog, so that the appliance has one log.
type LogWriter struct{}

// CaddyModule implements caddy.Module.
func (LogWriter) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "caddy.logging.writers.zerolog", New: func() caddy.Module { return new(LogWriter) }}
}

func (LogWriter) String() string    { return "zerolog" }
func (LogWriter) WriterKey() string { return "simphony-remote-zerolog" }

// OpenWriter implements caddy.WriterOpener.
func (LogWriter) OpenWriter() (io.WriteCloser, error) {
	return &zerologWriter{}, nil
}

// zerologWriter re-emits zap's JSON lines as zerolog events, to the
// logger SetLogger set last.
type zerologWriter struct {
	mu  sync.Mutex
	buf []byte
}

func (z *zerologWriter) Write(p []byte) (int, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.buf = append(z.buf, p...)
	for {
		i := bytes.IndexByte(z.buf, '\n')
		if i < 0 {
			break
		}
		z.emit(z.buf[:i])
		z.buf = z.buf[i+1:]
	}
	return len(p), nil
}

func (z *zerologWriter) emit(line []byte) {
	log := caddyLogger()
	var entry map[string]any
	if err := json.Unmarshal(line, &entry); err != nil {
		log.Info().Msg(string(line))
		return
	}
	lvl, err := zerolog.ParseLevel(stringOf(entry["level"]))
	if err != nil || lvl == zerolog.NoLevel {
		lvl = zerolog.InfoLevel
	}
	msg, name := stringOf(entry["msg"]), stringOf(entry["logger"])
	if expected(name, msg) {
		lvl = zerolog.DebugLevel
	}
	ev := log.WithLevel(lvl).Str("logger", name)
	for _, k := range []string{"level", "msg", "logger", "ts"} {
		delete(entry, k)
	}
	redact(entry)
	ev.Fields(entry).Msg(msg)
}

// secretHeaders are request headers whose values Caddy would log in clear
// (it hides only cookies and Authorization itself): a session's key opens
// its published port to whoever reads the log.
var secretHeaders = []string{protocol.HeaderSessionKey, csrfHeader}

// redact replaces the values of secretHeaders in every "headers" object of
// a log entry, at any depth (the client's request, the upstream's).
func redact(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	for k, sub := range m {
		if h, ok := sub.(map[string]any); ok && k == "headers" {
			for name := range h {
				for _, secret := range secretHeaders {
					if strings.EqualFold(name, secret) {
						h[name] = []string{"REDACTED"}
					}
				}
			}
		}
		redact(sub)
	}
}

// expected says whether a Caddy warning is one the appliance causes on
// purpose, which would only worry an operator: the admin endpoint is off
// by design. It is logged at debug level; every other warning stays.
func expected(logger, msg string) bool {
	return logger == "admin" && msg == "admin endpoint disabled"
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

func (z *zerologWriter) Close() error { return nil }

// Interface guards.
var (
	_ caddy.Module       = (*LogWriter)(nil)
	_ caddy.WriterOpener = (*LogWriter)(nil)
)
