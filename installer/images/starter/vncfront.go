package main

import (
	"bytes"
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// runVNCFront is the `vnc-front` command: noVNC's files and a WebSocket
// bridge to the desktop's VNC server, in place of nginx and websockify.
func runVNCFront(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fl := flag.NewFlagSet("vnc-front", flag.ContinueOnError)
	listen := fl.String("listen", ":8888", "address to serve HTTP on")
	vnc := fl.String("vnc", "127.0.0.1:5901", "the VNC server's TCP address")
	novnc := fl.String("novnc", "/opt/novnc", "directory holding noVNC (vnc.html, app/, core/, vendor/)")
	if help, err := parseFlags(fl, args, stderr, fmt.Sprintf("Serves noVNC under $%s/containers/$%s/ and bridges its WebSocket to a VNC server.", envBaseURL, envURLID)); help || err != nil {
		return err
	}
	base, err := basePath(getenv)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(*novnc + "/vnc.html"); err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("no noVNC in %s (vnc.html missing): set -novnc", *novnc)
	}
	log.Printf("serving noVNC from %s under %s, VNC at %s", *novnc, base, *vnc)
	return serve(ctx, *listen, requireSessionKey(getenv(envSessionKey), newVNCFront(base, *vnc, *novnc)))
}

// stateScript tells the page that frames noVNC its connection state; it is
// added to noVNC's vnc.html, at stateScriptName beside it.
//
//go:embed novnc-state.js
var stateScript []byte

const stateScriptName = "simphony-remote-state.js"

// vncFront serves noVNC and bridges its WebSocket to the VNC server.
type vncFront struct {
	base    string // /user/{name}/containers/{url_id}/
	vnc     string // host:port of the VNC server
	novnc   string // noVNC's directory
	bundled bool   // it holds uiBundle (made when the image was built)
	static  http.Handler
	ready   atomic.Bool // the VNC server has answered once
}

func newVNCFront(base, vnc, novnc string) *vncFront {
	fi, err := os.Stat(novnc + "/" + uiBundle)
	return &vncFront{base: base, vnc: vnc, novnc: novnc, bundled: err == nil && fi.Mode().IsRegular(), static: http.FileServer(http.Dir(novnc))}
}

func (f *vncFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rel, ok := strings.CutPrefix(r.URL.Path, f.base)
	switch {
	case !ok && r.URL.Path+"/" == f.base:
		http.Redirect(w, r, f.base, http.StatusFound)
	case !ok:
		http.NotFound(w, r)
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	case rel == "":
		f.index(w, r)
	case rel == "websockify":
		f.websockify(w, r)
	case rel == "vnc.html":
		f.vncHTML(w, r)
	case rel == stateScriptName:
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		http.ServeContent(w, r, stateScriptName, time.Time{}, bytes.NewReader(stateScript))
	case strings.HasSuffix(rel, "/"):
		http.NotFound(w, r) // no directory listings
	default:
		r2 := new(http.Request)
		*r2 = *r
		r2.URL = new(url.URL)
		*r2.URL = *r.URL
		r2.URL.Path, r2.URL.RawPath = "/"+rel, ""
		f.static.ServeHTTP(w, r2)
	}
}

// index sends the browser to noVNC, set to connect to {base}websockify,
// once the VNC server answers; until then it answers 503.
func (f *vncFront) index(w http.ResponseWriter, r *http.Request) {
	if !f.isReady(r.Context()) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "desktop starting", http.StatusServiceUnavailable)
		return
	}
	http.Redirect(w, r, f.noVNCURL(r.URL.Query(), r.URL.RawQuery), http.StatusFound)
}

// vncHTML is noVNC's vnc.html with stateScript added to its head and, where
// the image holds uiBundle (see novnc-bundle), loading that in place of
// uiModule and its imports.
func (f *vncFront) vncHTML(w http.ResponseWriter, r *http.Request) {
	page, err := os.ReadFile(f.novnc + "/vnc.html")
	if err != nil {
		log.Printf("reading noVNC's page: %v", err)
		http.Error(w, "noVNC's page cannot be read", http.StatusInternalServerError)
		return
	}
	if i := bytes.Index(page, []byte("</head>")); i >= 0 {
		page = append(page[:i:i], append([]byte(`<script src="`+stateScriptName+`"></script>`), page[i:]...)...)
	}
	if f.bundled {
		page = bytes.Replace(page, []byte(`src="`+uiModule+`"`), []byte(`src="`+uiBundle+`"`), 1)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "vnc.html", time.Time{}, bytes.NewReader(page))
}

// noVNCURL is vnc.html with our settings, followed by the request's own
// query parameters, which win over ours (e.g. view_only=1, resize=scale).
func (f *vncFront) noVNCURL(q url.Values, rawQuery string) string {
	wsPath := strings.ReplaceAll(url.QueryEscape(strings.TrimPrefix(f.base, "/")+"websockify"), "%2F", "/")
	defaults := []struct{ key, value string }{
		{"autoconnect", "1"}, {"reconnect", "1"}, {"resize", "remote"}, {"path", wsPath},
	}
	var params []string
	for _, d := range defaults {
		if !q.Has(d.key) {
			params = append(params, d.key+"="+d.value)
		}
	}
	if rawQuery != "" {
		params = append(params, rawQuery)
	}
	return f.base + "vnc.html?" + strings.Join(params, "&")
}

// isReady reports whether the VNC server accepts connections; once it has,
// it is taken as ready for good (the container stops when it exits).
func (f *vncFront) isReady(ctx context.Context) bool {
	if f.ready.Load() {
		return true
	}
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "tcp", f.vnc)
	if err != nil {
		return false
	}
	_ = c.Close()
	f.ready.Store(true)
	return true
}
