package cli_test

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/auth"
)

// fakeAppliance serves the sign-in form and the user API as
// /work/shared-api-spec.md describes them, strictly: a request that breaks
// the contract (no Origin on the form, no CSRF header with the cookie, a
// body that is not JSON, an unknown field) is refused as the appliance
// refuses it.
type fakeAppliance struct {
	t   *testing.T
	srv *httptest.Server
	// started is the time of every session.
	started time.Time

	mu         sync.Mutex
	passwords  map[string]string
	retryAfter string            // not "": sign-in is locked, with this Retry-After
	logins     map[string]string // cookie → user
	csrf       map[string]string // cookie → CSRF token
	tokens     map[string]*fakeToken
	apps       map[string][]wire.UserApplication // user → grants
	containers map[string]wire.Container         // url id → session
	shares     map[string][]wire.Share           // url id → shares
	starts     []wire.StartRequest               // what POST /containers received
	nextID     int
}

type fakeToken struct {
	wire.Token
	user string
}

// Mapping ids of the fake's grants to alice.
var (
	mapDesktop = strings.Repeat("a", 32)
	mapFiles   = strings.Repeat("b", 32)
	mapMissing = strings.Repeat("c", 32)
	mapBroken  = strings.Repeat("d", 32) // starting it fails with a server error
	mapProxied = strings.Repeat("e", 32) // starting it gets a proxy's 502 page
)

func newFakeAppliance(t *testing.T) *fakeAppliance {
	f := &fakeAppliance{
		t:          t,
		started:    time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		passwords:  map[string]string{"alice": "correct horse", "bob": "battery staple"},
		logins:     map[string]string{},
		csrf:       map[string]string{},
		tokens:     map[string]*fakeToken{},
		containers: map[string]wire.Container{},
		shares:     map[string][]wire.Share{},
	}
	desktop := wire.Image{Name: "simphony-remote/desktop:latest", UIName: "Desktop", Description: "A desktop", Type: wire.ImageVNC,
		Configurables: []string{wire.ConfigResolution}, Available: true}
	files := wire.Image{Name: "lab/files:1", Type: wire.ImageWeb, Configurables: []string{}, Available: true}
	missing := wire.Image{Name: "lab/missing:1", Configurables: []string{}}
	f.apps = map[string][]wire.UserApplication{"alice": {
		{MappingID: mapDesktop, Image: desktop, Policy: wire.Policy{AllowHome: true, AllowView: true}},
		{MappingID: mapFiles, Image: files, Policy: wire.Policy{}},
		{MappingID: mapMissing, Image: missing, Policy: wire.Policy{}},
		{MappingID: mapBroken, Image: files, Policy: wire.Policy{}},
		{MappingID: mapProxied, Image: files, Policy: wire.Policy{}},
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", f.login)
	mux.HandleFunc("POST /logout", f.logout)
	api := func(pattern string, h func(w http.ResponseWriter, r *http.Request, c caller)) {
		method, path, _ := strings.Cut(pattern, " ")
		mux.HandleFunc(method+" /api/v1"+path, func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			defer f.mu.Unlock()
			c, ok := f.identify(w, r)
			if ok {
				h(w, r, c)
			}
		})
	}
	api("GET /me", f.me)
	api("GET /tokens", f.listTokens)
	api("POST /tokens", f.createToken)
	api("DELETE /tokens/{id}", f.deleteToken)
	api("GET /applications", f.applications)
	api("GET /containers", f.listContainers)
	api("POST /containers", f.start)
	api("GET /containers/{url_id}", f.getContainer)
	api("DELETE /containers/{url_id}", f.stop)
	api("GET /containers/{url_id}/shares", f.listShares)
	api("POST /containers/{url_id}/shares", f.share)
	api("DELETE /containers/{url_id}/shares/{user}", f.unshare)
	f.srv = httptest.NewUnstartedServer(mux)
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused certificates are expected
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f
}

// caFile writes the fake's certificate, which is its own authority, to a
// PEM file in dir.
func (f *fakeAppliance) caFile(t *testing.T, dir string) string {
	path := filepath.Join(dir, "root.crt")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// caller is who made an API request.
type caller struct {
	user string
	via  string
}

func apiError(w http.ResponseWriter, status int, typ, msg string) {
	e := wire.Error{Type: typ, Message: msg}
	if status >= 500 {
		e.Ref = "ref-1234"
	}
	writeAPI(w, status, e)
}

func writeAPI(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func sameOrigin(r *http.Request) bool {
	return r.Header.Get("Origin") == "https://"+r.Host
}

func (f *fakeAppliance) identify(w http.ResponseWriter, r *http.Request) (caller, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		secret, _ := strings.CutPrefix(h, "Bearer ")
		for _, tok := range f.tokens {
			if tok.Secret == secret {
				return caller{tok.user, wire.AuthToken}, true
			}
		}
	} else if ck, err := r.Cookie(auth.CookieName); err == nil && f.logins[ck.Value] != "" {
		if r.Method != http.MethodGet && (r.Header.Get("X-CSRF-Token") != f.csrf[ck.Value] || !sameOrigin(r)) {
			apiError(w, http.StatusForbidden, wire.TypeForbidden, "missing or wrong CSRF token")
			return caller{}, false
		}
		return caller{f.logins[ck.Value], wire.AuthCookie}, true
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="simphony-remote"`)
	apiError(w, http.StatusUnauthorized, wire.TypeUnauthorized, "sign in, or send an API token")
	return caller{}, false
}

// decode reads a JSON body as the appliance does.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.Header.Get("Content-Type") != "application/json" {
		apiError(w, http.StatusUnsupportedMediaType, wire.TypeBadRequest, "request body: want Content-Type application/json")
		return false
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		apiError(w, http.StatusBadRequest, wire.TypeBadRequest, "request body: "+err.Error())
		return false
	}
	return true
}

func (f *fakeAppliance) id() string {
	f.nextID++
	return fmt.Sprintf("%032x", f.nextID)
}

func (f *fakeAppliance) login(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !sameOrigin(r) {
		http.Error(w, "Sign in from this appliance's own sign-in page.", http.StatusForbidden)
		return
	}
	if f.retryAfter != "" {
		w.Header().Set("Retry-After", f.retryAfter)
		http.Error(w, "Too many failed sign-ins.", http.StatusTooManyRequests)
		return
	}
	name := r.PostFormValue("username")
	if pw, ok := f.passwords[name]; !ok || pw != r.PostFormValue("password") {
		http.Error(w, "Wrong user name or password.", http.StatusUnauthorized)
		return
	}
	cookie, csrf := "cookie-"+f.id(), "csrf-"+f.id()
	f.logins[cookie], f.csrf[cookie] = name, csrf
	http.SetCookie(w, &http.Cookie{Name: auth.CookieName, Value: cookie, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (f *fakeAppliance) logout(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ck, err := r.Cookie(auth.CookieName)
	if err != nil || f.logins[ck.Value] == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if !sameOrigin(r) || r.PostFormValue("csrf_token") != f.csrf[ck.Value] {
		http.Error(w, "Request refused", http.StatusForbidden)
		return
	}
	delete(f.logins, ck.Value)
	delete(f.csrf, ck.Value)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (f *fakeAppliance) me(w http.ResponseWriter, r *http.Request, c caller) {
	me := wire.Me{Name: c.user, Auth: c.via}
	if c.via == wire.AuthCookie {
		ck, _ := r.Cookie(auth.CookieName)
		me.CSRFToken = f.csrf[ck.Value]
	}
	writeAPI(w, http.StatusOK, me)
}

func (f *fakeAppliance) listTokens(w http.ResponseWriter, _ *http.Request, c caller) {
	out := []wire.Token{}
	for _, tok := range f.tokens {
		if tok.user == c.user {
			t := tok.Token
			t.Secret = ""
			out = append(out, t)
		}
	}
	writeAPI(w, http.StatusOK, out)
}

func (f *fakeAppliance) createToken(w http.ResponseWriter, r *http.Request, c caller) {
	var req wire.TokenRequest
	if !decode(w, r, &req) {
		return
	}
	if req.Name == "" || len(req.Name) > 100 {
		apiError(w, http.StatusBadRequest, wire.TypeInvalid, "invalid token name")
		return
	}
	id := f.id()[16:]
	tok := &fakeToken{user: c.user, Token: wire.Token{ID: id, Name: req.Name, Created: f.started, Expires: req.Expires,
		Secret: "sr_" + strings.Repeat("x", 27) + id}}
	f.tokens[id] = tok
	writeAPI(w, http.StatusCreated, tok.Token)
}

func (f *fakeAppliance) deleteToken(w http.ResponseWriter, r *http.Request, c caller) {
	tok, ok := f.tokens[r.PathValue("id")]
	if !ok || tok.user != c.user {
		apiError(w, http.StatusNotFound, wire.TypeNotFound, "token "+r.PathValue("id")+": not found")
		return
	}
	delete(f.tokens, tok.ID)
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeAppliance) applications(w http.ResponseWriter, _ *http.Request, c caller) {
	out := []wire.UserApplication{}
	for _, app := range f.apps[c.user] {
		for _, ctr := range f.containers {
			if ctr.MappingID == app.MappingID {
				app.Container = &ctr
			}
		}
		out = append(out, app)
	}
	writeAPI(w, http.StatusOK, out)
}

func (f *fakeAppliance) own(c caller) []wire.Container {
	out := []wire.Container{}
	for _, ctr := range f.containers {
		if ctr.User == c.user {
			out = append(out, ctr)
		}
	}
	slices.SortFunc(out, func(a, b wire.Container) int { return strings.Compare(a.URLID, b.URLID) })
	return out
}

func (f *fakeAppliance) listContainers(w http.ResponseWriter, _ *http.Request, c caller) {
	writeAPI(w, http.StatusOK, f.own(c))
}

var resolutionRE = regexp.MustCompile(`^[0-9]{1,5}x[0-9]{1,5}$`)

func (f *fakeAppliance) start(w http.ResponseWriter, r *http.Request, c caller) {
	var req wire.StartRequest
	if !decode(w, r, &req) {
		return
	}
	f.starts = append(f.starts, req)
	i := slices.IndexFunc(f.apps[c.user], func(a wire.UserApplication) bool { return a.MappingID == req.MappingID })
	switch {
	case i < 0:
		apiError(w, http.StatusBadRequest, wire.TypeInvalid, fmt.Sprintf("mapping id %q: no such application of yours", req.MappingID))
		return
	case req.MappingID == mapBroken:
		apiError(w, http.StatusInternalServerError, wire.TypeInternal, "internal error; the server logged it under reference ref-1234")
		return
	case req.MappingID == mapProxied:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html><body>\n<h1>Bad   gateway</h1></body></html>\n")
		return
	}
	if res, ok := req.Configurables["resolution"]; ok && !resolutionRE.MatchString(res) {
		apiError(w, http.StatusBadRequest, wire.TypeInvalid, fmt.Sprintf("resolution %q: want WIDTHxHEIGHT, e.g. 1280x800", res))
		return
	}
	urlID := f.id()
	urlpath := "/user/" + c.user + "/containers/" + urlID + "/"
	ctr := wire.Container{URLID: urlID, MappingID: req.MappingID, User: c.user, Image: f.apps[c.user][i].Image.Name,
		URLPath: urlpath, URL: f.srv.URL + urlpath, Started: f.started, LastActive: f.started}
	f.containers[urlID] = ctr
	w.Header().Set("Location", "/api/v1/containers/"+urlID)
	writeAPI(w, http.StatusCreated, ctr)
}

// session finds the caller's own session, answering 404 otherwise.
func (f *fakeAppliance) session(w http.ResponseWriter, r *http.Request, c caller) (wire.Container, bool) {
	ctr, ok := f.containers[r.PathValue("url_id")]
	if !ok || ctr.User != c.user {
		apiError(w, http.StatusNotFound, wire.TypeNotFound, "container "+r.PathValue("url_id")+": not found")
		return ctr, false
	}
	return ctr, true
}

func (f *fakeAppliance) getContainer(w http.ResponseWriter, r *http.Request, c caller) {
	if ctr, ok := f.session(w, r, c); ok {
		writeAPI(w, http.StatusOK, ctr)
	}
}

func (f *fakeAppliance) stop(w http.ResponseWriter, r *http.Request, c caller) {
	if ctr, ok := f.session(w, r, c); ok {
		delete(f.containers, ctr.URLID)
		delete(f.shares, ctr.URLID)
		w.WriteHeader(http.StatusNoContent)
	}
}

// shareable finds the caller's own session whose policy allows viewing.
func (f *fakeAppliance) shareable(w http.ResponseWriter, r *http.Request, c caller) (wire.Container, bool) {
	ctr, ok := f.session(w, r, c)
	if !ok {
		return ctr, false
	}
	for _, app := range f.apps[c.user] {
		if app.MappingID == ctr.MappingID && !app.Policy.AllowView {
			apiError(w, http.StatusBadRequest, wire.TypeInvalid, "the policy of this session does not allow sharing it")
			return ctr, false
		}
	}
	return ctr, true
}

func (f *fakeAppliance) listShares(w http.ResponseWriter, r *http.Request, c caller) {
	if ctr, ok := f.shareable(w, r, c); ok {
		out := append([]wire.Share{}, f.shares[ctr.URLID]...)
		writeAPI(w, http.StatusOK, out)
	}
}

func (f *fakeAppliance) share(w http.ResponseWriter, r *http.Request, c caller) {
	ctr, ok := f.shareable(w, r, c)
	if !ok {
		return
	}
	var req wire.ShareRequest
	if !decode(w, r, &req) {
		return
	}
	switch {
	case f.passwords[req.User] == "":
		apiError(w, http.StatusBadRequest, wire.TypeInvalid, "user "+strconv.Quote(req.User)+": not found")
		return
	case req.Mode != wire.ShareView && req.Mode != wire.ShareControl:
		apiError(w, http.StatusBadRequest, wire.TypeInvalid, "mode "+strconv.Quote(req.Mode)+": want view or control")
		return
	case req.Expires != nil && !req.Expires.After(time.Now()):
		apiError(w, http.StatusBadRequest, wire.TypeInvalid, "expires: in the past")
		return
	}
	sh := wire.Share{User: req.User, Mode: req.Mode, Created: f.started, Expires: req.Expires}
	list := slices.DeleteFunc(f.shares[ctr.URLID], func(s wire.Share) bool { return s.User == req.User })
	f.shares[ctr.URLID] = append(list, sh)
	writeAPI(w, http.StatusCreated, sh)
}

func (f *fakeAppliance) unshare(w http.ResponseWriter, r *http.Request, c caller) {
	ctr, ok := f.shareable(w, r, c)
	if !ok {
		return
	}
	list := f.shares[ctr.URLID]
	i := slices.IndexFunc(list, func(s wire.Share) bool { return s.User == r.PathValue("user") })
	if i < 0 {
		apiError(w, http.StatusNotFound, wire.TypeNotFound, "share with "+r.PathValue("user")+": not found")
		return
	}
	f.shares[ctr.URLID] = slices.Delete(list, i, i+1)
	w.WriteHeader(http.StatusNoContent)
}

// state returns counts of what the fake holds, under its lock.
func (f *fakeAppliance) state() (logins, tokens int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.logins), len(f.tokens)
}
