package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/appliance"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
)

// The control endpoint lives in the appliance child only, on a loopback
// port, for the harness: it reads the process's memory, creates users,
// grants and login sessions, and fills the route table directly. Nothing
// of it is in the product.

// benchContainer marks the routes the harness adds: they lead to the
// backend, not to a container.
const benchContainer = "bench-route"

type control struct {
	a   *appliance.Appliance
	mux *http.ServeMux
}

func newControl(a *appliance.Appliance) http.Handler {
	c := &control{a: a, mux: http.NewServeMux()}
	handle := func(pattern string, fn func(r *http.Request) (any, error)) {
		c.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			v, err := fn(r)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(v)
		})
	}
	handle("GET /memory", c.memory)
	handle("POST /users", c.users)
	handle("POST /logins", c.logins)
	handle("POST /logouts", c.logouts)
	handle("POST /routes", c.addRoutes)
	handle("DELETE /routes", c.deleteRoutes)
	handle("POST /routes/churn", c.churn)
	c.mux.HandleFunc("/debug/pprof/", pprof.Index)
	c.mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	return c.mux
}

// memoryInfo is the process's memory, from /proc/self/status.
type memoryInfo struct {
	RSSKB      int64 `json:"rss_kb"`
	RSSAnonKB  int64 `json:"rss_anon_kb"`
	RSSFileKB  int64 `json:"rss_file_kb"`
	HeapKB     int64 `json:"heap_inuse_kb"`
	StackKB    int64 `json:"stack_inuse_kb"`
	Goroutines int   `json:"goroutines"`
}

// memory collects garbage and returns freed memory to the system first
// (unless ?gc=0), so that the number is what the live state holds.
func (c *control) memory(r *http.Request) (any, error) {
	if r.URL.Query().Get("gc") != "0" {
		runtime.GC()
		debug.FreeOSMemory()
	}
	m, err := readStatus("/proc/self/status")
	if err != nil {
		return nil, err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.HeapKB, m.StackKB = int64(ms.HeapInuse>>10), int64(ms.StackInuse>>10)
	m.Goroutines = runtime.NumGoroutine()
	return m, nil
}

// readStatus reads VmRSS, RssAnon and RssFile from a /proc/PID/status file.
func readStatus(path string) (memoryInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return memoryInfo{}, err
	}
	defer f.Close()
	var m memoryInfo
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			m.RSSKB = n
		case "RssAnon":
			m.RSSAnonKB = n
		case "RssFile":
			m.RSSFileKB = n
		}
	}
	if m.RSSKB == 0 {
		return m, fmt.Errorf("no VmRSS in %s", path)
	}
	return m, sc.Err()
}

type usersRequest struct {
	Names []string `json:"names"`
	Image string   `json:"image"` // granted to each (registered when new)
}

type usersAnswer struct {
	Mappings []string `json:"mappings"` // the grants of Image, by name
}

// users creates users (without passwords: they sign in through /logins)
// and grants them Image.
func (c *control) users(r *http.Request) (any, error) {
	var req usersRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return nil, err
	}
	ctx := r.Context()
	st := c.a.Store()
	if req.Image != "" {
		err := st.CreateApplication(ctx, accounting.Application{Image: req.Image})
		if err != nil && !errors.Is(err, accounting.ErrExists) {
			return nil, err
		}
	}
	var out usersAnswer
	for _, name := range req.Names {
		err := st.CreateUser(ctx, accounting.User{Name: name})
		if err != nil && !errors.Is(err, accounting.ErrExists) {
			return nil, err
		}
		if req.Image == "" {
			continue
		}
		id, err := st.Grant(ctx, name, req.Image, accounting.Policy{})
		if err != nil {
			return nil, err
		}
		out.Mappings = append(out.Mappings, id)
	}
	return out, nil
}

type loginsRequest struct {
	Names []string `json:"names"`
}

type login struct {
	Name   string `json:"name"`
	Secret string `json:"secret"` // the cookie's value
	CSRF   string `json:"csrf"`
}

// logins signs users in as a successful sign-in does once the password is
// checked (auth.Logins.Create), without the password hashing and the
// per-address limits of the form.
func (c *control) logins(r *http.Request) (any, error) {
	var req loginsRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return nil, err
	}
	out := make([]login, 0, len(req.Names))
	for _, name := range req.Names {
		secret, l, err := c.a.Logins().Create(r.Context(), name, "127.0.0.1")
		if err != nil {
			return nil, err
		}
		out = append(out, login{Name: name, Secret: secret, CSRF: l.CSRF})
	}
	return out, nil
}

func (c *control) logouts(r *http.Request) (any, error) {
	var req loginsRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return nil, err
	}
	n := 0
	for _, name := range req.Names {
		m, err := c.a.Logins().RevokeUser(r.Context(), name)
		if err != nil {
			return nil, err
		}
		n += m
	}
	return map[string]int{"revoked": n}, nil
}

type routesRequest struct {
	N        int    `json:"n"`
	User     string `json:"user"`
	Upstream string `json:"upstream"`
}

type routesAnswer struct {
	First string `json:"first"` // url ids of the first and last added
	Last  string `json:"last"`
	Total int    `json:"total"` // routes in the table
}

func newRoute(user, upstream string) routes.Route {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	return routes.Route{
		URLID: id, User: user, MappingID: id, Image: "bench", ContainerID: benchContainer,
		Upstream: upstream, URLPath: protocol.URLPath(user, id), Started: time.Now(),
	}
}

// addRoutes puts N routes to the upstream into the appliance's table, as
// session starts do.
func (c *control) addRoutes(r *http.Request) (any, error) {
	var req routesRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return nil, err
	}
	if req.N <= 0 {
		return nil, errors.New("n must be more than 0")
	}
	t := c.a.Sessions().Routes()
	var out routesAnswer
	for i := range req.N {
		rt := newRoute(req.User, req.Upstream)
		t.Put(rt)
		if i == 0 {
			out.First = rt.URLID
		}
		out.Last = rt.URLID
	}
	out.Total = t.Len()
	return out, nil
}

func (c *control) deleteRoutes(r *http.Request) (any, error) {
	t := c.a.Sessions().Routes()
	n := 0
	for _, rt := range t.List() {
		if rt.ContainerID == benchContainer {
			t.Delete(rt.URLID)
			n++
		}
	}
	return map[string]int{"deleted": n, "total": t.Len()}, nil
}

type churnAnswer struct {
	AddNS    []int64 `json:"add_ns"`
	RemoveNS []int64 `json:"remove_ns"`
	Total    int     `json:"total"` // routes in the table meanwhile
}

// churn times N route additions, then their removals, one by one, in the
// table as it is (a session start's Put and a stop's DeleteIf).
func (c *control) churn(r *http.Request) (any, error) {
	var req routesRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return nil, err
	}
	t := c.a.Sessions().Routes()
	rs := make([]routes.Route, req.N)
	for i := range rs {
		rs[i] = newRoute(req.User, req.Upstream)
	}
	out := churnAnswer{AddNS: make([]int64, req.N), RemoveNS: make([]int64, req.N)}
	for i, rt := range rs {
		t0 := time.Now()
		t.Put(rt)
		out.AddNS[i] = int64(time.Since(t0))
	}
	out.Total = t.Len()
	for i, rt := range slices.Backward(rs) {
		t0 := time.Now()
		t.DeleteIf(rt.URLID, rt.ContainerID)
		out.RemoveNS[i] = int64(time.Since(t0))
	}
	return out, nil
}

// controlClient is the harness's side of the control endpoint.
type controlClient struct {
	base string
	http *http.Client
}

func (c *controlClient) call(ctx context.Context, method, path string, in, out any) error {
	var body *strings.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = strings.NewReader(string(b))
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("control %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var b strings.Builder
		_, _ = fmt.Fprint(&b, resp.Status)
		buf := make([]byte, 2000)
		n, _ := resp.Body.Read(buf)
		return fmt.Errorf("control %s %s: %s: %s", method, path, b.String(), buf[:n])
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (c *controlClient) memory(ctx context.Context) (memoryInfo, error) {
	var m memoryInfo
	err := c.call(ctx, http.MethodGet, "/memory", nil, &m)
	return m, err
}
