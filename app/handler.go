package app

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/adminweb"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/web"
	"github.com/simphony/simphony-remote/frontend"
)

// MachinePath is the "This machine" page.
const MachinePath = "/machine/"

// Handler is what the console's window shows, served through Wails' asset
// server: the admin pages (the very handler of /admin/, over the admin
// socket), the "This machine" page, and the static files. Only the window
// reaches it (no port, no socket): whoever runs the console and may open
// the admin socket is an administrator, so it asks for no password and no
// CSRF token.
func Handler(m *Machine, svc admin.Service) (http.Handler, error) {
	pages, err := adminweb.New(adminweb.Deps{
		Service: svc, Authorize: consoleCaller, Headers: web.SecurityHeaders, Console: true, Log: m.Log,
	})
	if err != nil {
		return nil, err
	}
	machine, err := adminweb.ParsePage("console/machine.html")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(adminweb.Prefix, pages)
	mux.Handle("GET "+frontend.StaticPrefix, frontend.StaticHandler())
	mux.HandleFunc("GET "+MachinePath, func(w http.ResponseWriter, r *http.Request) {
		web.SecurityHeaders(w)
		web.Render(w, machine, http.StatusOK, machinePage{Title: "This machine", Nav: "machine", Console: true, Location: MachinePath, Socket: m.Socket}, &m.Log, "the console's machine page")
	})
	// The window opens on the dashboard when the appliance answers, else
	// on the page that says what is wrong.
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		to := adminweb.Prefix
		if _, err := m.Appliance.Info(ctx); err != nil {
			to = MachinePath
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
	})
	return logged(followRedirects(mux), m.Log), nil
}

// maxRedirects bounds followRedirects.
const maxRedirects = 5

// followRedirects follows the handler's redirects itself: WebKitGTK does
// not follow a redirect from a custom scheme's handler (the window would
// show "See Other"), and keeps no cookies there. The page after a form
// (POST, redirect, GET) is served as the form's answer, with the cookies
// the redirect set (the admin pages' flash message); its own path is in
// the page (adminweb's Console mode), whose script puts it in the address.
func followRedirects(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := r
		for hop := 0; ; hop++ {
			rec := &recorder{header: http.Header{}, status: http.StatusOK}
			next.ServeHTTP(rec, req)
			to, err := req.URL.Parse(rec.header.Get("Location"))
			if rec.status < 300 || rec.status > 399 || rec.header.Get("Location") == "" || err != nil ||
				(to.Host != "" && to.Host != r.Host) || hop == maxRedirects {
				rec.send(w)
				return
			}
			follow, err := http.NewRequestWithContext(r.Context(), http.MethodGet, to.RequestURI(), nil)
			if err != nil {
				rec.send(w)
				return
			}
			follow.Host, follow.RemoteAddr = r.Host, r.RemoteAddr
			for _, h := range []string{"Origin", "Sec-Fetch-Site", "User-Agent", "Accept", "Accept-Language"} {
				if v := r.Header.Get(h); v != "" {
					follow.Header.Set(h, v)
				}
			}
			jar := map[string]string{}
			for _, c := range req.Cookies() {
				jar[c.Name] = c.Value
			}
			for _, c := range (&http.Response{Header: rec.header}).Cookies() {
				if c.MaxAge < 0 {
					delete(jar, c.Name)
				} else {
					jar[c.Name] = c.Value
				}
			}
			for name, value := range jar {
				follow.AddCookie(&http.Cookie{Name: name, Value: value})
			}
			req = follow
		}
	})
}

// recorder keeps an answer to pass on or follow.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

// send passes the answer on.
func (r *recorder) send(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body.Bytes())
}

// logged logs each request at debug level (the window test follows the
// pages through it).
func logged(h http.Handler, log zerolog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		log.Debug().Str("method", r.Method).Str("path", r.URL.Path).Msg("served")
	})
}

// consoleCaller is who uses the console's admin pages: recorded by the
// appliance as the socket's peer (its uid), so this name is only shown.
func consoleCaller(*http.Request) (audit.Actor, string, bool) {
	return audit.Actor{Name: "console", Address: "console"}, "", true
}

// machinePage is the data of the "This machine" page: what the layout and
// the admin navigation read, and the socket. The rest comes from the
// bound methods, called by console.js.
type machinePage struct {
	Title, User, CSRF, Warning, Error, Notice, Nav, Location string
	Admin, Console, ReadOnly                                 bool
	Refresh                                                  int
	Banners                                                  []string
	Socket                                                   string
}
