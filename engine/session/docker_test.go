package session_test

// These tests run the session manager against the real Docker Engine.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/boltdb"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
	"github.com/simphony/simphony-remote/engine/volumes"
	"github.com/simphony/simphony-remote/engine/volumes/volumestest"
)

// harness is one realm on the real engine, with a store and a manager.
type harness struct {
	t     *testing.T
	dc    *docker.Client
	rt    *docker.Runtime
	store *boltdb.Store
	mgr   *session.Manager
	opts  session.Options
	realm string
	data  string
}

func newHarness(t *testing.T, tweak ...func(*session.Options)) *harness {
	t.Helper()
	dc := dockertest.Require(t)
	h := &harness{t: t, dc: dc, data: t.TempDir()}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	h.realm = "test-" + hex.EncodeToString(b)
	h.rt = docker.NewRuntime(dc, h.realm)
	var err error
	h.store, err = boltdb.Init(filepath.Join(h.data, "simphony-remote.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.store.Close() })
	h.opts = session.Options{
		Realm: h.realm, HomesDir: filepath.Join(h.data, "homes"), UIDs: accounting.DefaultUIDRange,
		StartTimeout: 20 * time.Second, Limits: accounting.Limits{Memory: 256 << 20, CPUs: 1, Pids: 256},
		NoNewPrivileges: true, Log: zerolog.New(zerolog.NewTestWriter(t)),
	}
	if h.opts.Installation, err = h.store.InstallationID(); err != nil {
		t.Fatal(err)
	}
	for _, f := range tweak {
		f(&h.opts)
	}
	h.realm = h.opts.Realm
	h.rt = docker.NewRuntime(dc, h.realm)
	h.mgr = session.New(h.store, h.rt, routes.New(), h.opts)
	t.Cleanup(func() {
		ctx := context.Background()
		cs, _ := h.rt.List(ctx)
		for _, c := range cs {
			_ = h.rt.Remove(ctx, c.ID)
		}
	})
	return h
}

// grant creates the user and application when missing and grants.
func (h *harness) grant(user, image string, p accounting.Policy) string {
	h.t.Helper()
	ctx := h.t.Context()
	if _, err := h.store.User(ctx, user); err != nil {
		if err := h.store.CreateUser(ctx, accounting.User{Name: user}); err != nil {
			h.t.Fatal(err)
		}
	}
	if _, err := h.store.Application(ctx, image); err != nil {
		if err := h.store.CreateApplication(ctx, accounting.Application{Image: image}); err != nil {
			h.t.Fatal(err)
		}
	}
	id, err := h.store.Grant(ctx, user, image, p)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *harness) containers() []session.Container {
	h.t.Helper()
	cs, err := h.rt.List(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return cs
}

// report is what the test app answers on its base path.
type report struct {
	Path      string              `json:"path"`
	Env       map[string]string   `json:"env"`
	Headers   map[string][]string `json:"headers"`
	Workspace []string            `json:"workspace"`
	UID       int                 `json:"uid"`
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

func fetchReport(t *testing.T, r routes.Route) report {
	t.Helper()
	code, body := get(t, "http://"+r.Upstream+r.URLPath)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", r.URLPath, code, body)
	}
	var rep report
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("test app report: %v: %s", err, body)
	}
	return rep
}

func TestStartInspectStop(t *testing.T) {
	root := volumestest.Root(t)
	h := newHarness(t, allowVolumes(root))
	img := dockertest.TestAppImage(t, h.dc, "app-"+h.realm, nil)
	src := volumestest.Dir(t, root, "shared")
	id := h.grant("alice@lab.org", img, accounting.Policy{
		AllowHome: true, AppLicense: "LIC-1", AllowStartupData: true,
		Volume: accounting.Volume{Source: src, Target: "/shared", Mode: "ro"},
	})
	events, done := h.mgr.Subscribe()
	defer done()

	r, err := h.mgr.Start(t.Context(), "alice@lab.org", id, map[string]string{"resolution": "1280x800", "startupdata": "/workspace/x.dat"})
	if err != nil {
		t.Fatal(err)
	}
	if !accounting.IsMappingID(r.URLID) || r.URLPath != "/user/alice@lab.org/containers/"+r.URLID+"/" || !strings.HasPrefix(r.Upstream, "127.0.0.1:") {
		t.Fatalf("route = %+v", r)
	}
	if got, ok := h.mgr.Get(r.URLID); !ok || got.ContainerID != r.ContainerID {
		t.Errorf("Get(%s) = %+v, %v", r.URLID, got, ok)
	}
	if l := h.mgr.List("alice@lab.org"); len(l) != 1 || len(h.mgr.List("bob")) != 0 {
		t.Errorf("List = %+v", l)
	}

	// What the application sees.
	rep := fetchReport(t, r.Route)
	wantEnv := map[string]string{
		"JPY_USER": "alice@lab.org", "JPY_BASE_USER_URL": "/user/alice@lab.org", "USER": "alice", "URL_ID": r.URLID,
		"X11_WIDTH": "1280", "X11_HEIGHT": "800", "X11_DEPTH": "24", "STARTUPDATA": "/workspace/x.dat", "APP_LICENSE": "LIC-1",
	}
	for k, v := range wantEnv {
		if rep.Env[k] != v {
			t.Errorf("env %s = %q, want %q", k, rep.Env[k], v)
		}
	}
	if rep.Path != r.URLPath {
		t.Errorf("the application saw path %q, want the full %q", rep.Path, r.URLPath)
	}
	if code, _ := get(t, "http://"+r.Upstream+"/elsewhere"); code != http.StatusNotFound {
		t.Errorf("outside the base path: %d", code)
	}

	// The real container, as Docker has it.
	info, err := h.dc.API().ContainerInspect(t.Context(), r.ContainerID)
	if err != nil {
		t.Fatal(err)
	}
	labels := info.Config.Labels
	for k, v := range map[string]string{
		protocol.LabelUser: "alice@lab.org", protocol.LabelMappingID: id, protocol.LabelURLID: r.URLID,
		protocol.LabelURLPath: strings.TrimSuffix(r.URLPath, "/"), protocol.LabelRealm: h.realm,
		protocol.LabelInstallation: h.opts.Installation,
	} {
		if labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, labels[k], v)
		}
	}
	if want := h.realm + "-alice_40lab.org-" + id + "-"; !strings.HasPrefix(strings.TrimPrefix(info.Name, "/"), want) {
		t.Errorf("container name %q, want prefix %q", info.Name, want)
	}
	bindings := info.HostConfig.PortBindings["8888/tcp"]
	if len(bindings) != 1 || bindings[0].HostIP != "127.0.0.1" {
		t.Errorf("port bindings = %+v, want 127.0.0.1 only", info.HostConfig.PortBindings)
	}
	for _, p := range info.NetworkSettings.Ports["8888/tcp"] {
		if p.HostIP != "127.0.0.1" {
			t.Errorf("published on %s", p.HostIP)
		}
	}
	mounts := map[string]string{}
	for _, m := range info.Mounts {
		mounts[m.Destination] = fmt.Sprintf("%s rw=%v", m.Source, m.RW)
	}
	home := filepath.Join(h.data, "homes", "alice_40lab.org")
	if mounts["/workspace"] != home+" rw=true" || mounts["/shared"] != src+" rw=false" {
		t.Errorf("mounts = %v", mounts)
	}
	hc := info.HostConfig
	if hc.Init == nil || !*hc.Init || !strings.Contains(strings.Join(hc.SecurityOpt, ","), "no-new-privileges") {
		t.Errorf("init = %v, security options = %v", hc.Init, hc.SecurityOpt)
	}
	if hc.Memory != 256<<20 || hc.NanoCPUs != 1e9 || hc.PidsLimit == nil || *hc.PidsLimit != 256 {
		t.Errorf("limits: memory %d, nano cpus %d, pids %v", hc.Memory, hc.NanoCPUs, hc.PidsLimit)
	}

	// The application runs as alice's own uid (not the image's USER
	// 1000), whose home is writable by it and persists.
	if uid, err := h.store.SessionUID(t.Context(), "alice@lab.org", h.opts.UIDs); err != nil || rep.UID != uid || info.Config.User != fmt.Sprintf("%d:%d", uid, uid) {
		t.Errorf("the test app runs as uid %d, container user %q; want alice's session uid %d (%v)", rep.UID, info.Config.User, uid, err)
	}
	if code, body := get(t, "http://"+r.Upstream+r.URLPath+"write?name=notes.txt&data=hello"); code != http.StatusOK {
		t.Fatalf("writing into /workspace: %d %s", code, body)
	}
	if b, err := os.ReadFile(filepath.Join(home, "notes.txt")); err != nil || string(b) != "hello" {
		t.Fatalf("notes.txt on the host: %q, %v", b, err)
	}
	if st, err := os.Stat(home); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("home mode: %v, %v", st, err)
	}
	// An image may chmod /workspace 0777: the homes directory above it
	// keeps other host users out.
	if st, err := os.Stat(filepath.Dir(home)); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("homes directory mode: %v, %v; want 0700", st, err)
	}

	if err := h.mgr.Stop(t.Context(), "bob", r.URLID); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("another user's Stop = %v, want ErrNotFound", err)
	}
	if err := h.mgr.Stop(t.Context(), "alice@lab.org", r.URLID); err != nil {
		t.Fatal(err)
	}
	if len(h.containers()) != 0 {
		t.Errorf("containers after Stop: %+v", h.containers())
	}
	if _, ok := h.mgr.Get(r.URLID); ok {
		t.Error("route still there after Stop")
	}
	if err := h.mgr.Stop(t.Context(), "alice@lab.org", r.URLID); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("second Stop = %v, want ErrNotFound", err)
	}

	// A new session finds the file again.
	r2, err := h.mgr.Start(t.Context(), "alice@lab.org", id, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep = fetchReport(t, r2.Route)
	if strings.Join(rep.Workspace, ",") != "notes.txt" || rep.Env["X11_WIDTH"] != "1024" {
		t.Errorf("second session: workspace %v, X11_WIDTH %q (want the default 1024)", rep.Workspace, rep.Env["X11_WIDTH"])
	}
	// Starting the same mapping again returns the running session: only a
	// stop ends it.
	r3, err := h.mgr.Start(t.Context(), "alice@lab.org", id, map[string]string{"resolution": "800x600"})
	if err != nil {
		t.Fatal(err)
	}
	if !r3.Existing || r3.URLID != r2.URLID || r3.ContainerID != r2.ContainerID {
		t.Errorf("second start = %+v, want the running %s", r3, r2.URLID)
	}
	if cs := h.containers(); len(cs) != 1 || cs[0].ID != r2.ContainerID {
		t.Errorf("after a second start: %d containers, want only the running one", len(cs))
	}
	if _, ok := h.mgr.Get(r2.URLID); !ok {
		t.Error("the running session's route went")
	}

	// Progress was reported in order.
	var steps []string
	for len(events) > 0 {
		e := <-events
		if e.Kind == session.EventProgress && e.MappingID == id {
			steps = append(steps, e.Step)
		}
		if e.Kind == session.EventStarted {
			break
		}
	}
	want := []string{session.StepImage, session.StepCreated, session.StepStarted, session.StepWaiting, session.StepReady}
	if strings.Join(steps, ",") != strings.Join(want, ",") {
		t.Errorf("progress steps = %v, want %v", steps, want)
	}
}

func TestConcurrentStartsMakeOneContainer(t *testing.T) {
	h := newHarness(t)
	img := dockertest.TestAppImage(t, h.dc, "slow-"+h.realm, map[string]string{"TESTAPP_MODE": "slow", "TESTAPP_DELAY": "1s"})
	id := h.grant("carol", img, accounting.Policy{})
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = h.mgr.Start(t.Context(), "carol", id, nil)
		}()
	}
	wg.Wait()
	ok, busy := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, session.ErrInProgress):
			busy++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || busy != 3 {
		t.Errorf("%d starts succeeded and %d were refused as in progress; want 1 and 3", ok, busy)
	}
	if cs := h.containers(); len(cs) != 1 {
		t.Errorf("%d containers, want 1", len(cs))
	}
}

// allowVolumes lets sessions mount volumes under roots.
func allowVolumes(roots ...string) func(*session.Options) {
	return func(o *session.Options) { o.Volumes = volumes.New(volumes.Options{AllowedRoots: roots}) }
}

func TestFailedStartsLeaveNothing(t *testing.T) {
	top := volumestest.Root(t)
	allowed := volumestest.Dir(t, top, "allowed")
	outside := volumestest.Dir(t, top, "outside")
	if err := os.Symlink("/etc", filepath.Join(allowed, "innocent")); err != nil {
		t.Fatal(err)
	}
	volumestest.Dir(t, volumestest.Dir(t, allowed, "real"), "x")
	if err := os.Symlink(filepath.Join(allowed, "real"), filepath.Join(allowed, "link")); err != nil {
		t.Fatal(err)
	}
	group := volumestest.Dir(t, allowed, "group")
	volumestest.Dir(t, group, "x")
	if err := os.Chmod(group, 0o775); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(o *session.Options) { o.StartTimeout = 8 * time.Second }, allowVolumes(allowed))
	ready := dockertest.TestAppImage(t, h.dc, "ok-"+h.realm, nil)
	never := dockertest.TestAppImage(t, h.dc, "never-"+h.realm, map[string]string{"TESTAPP_MODE": "never-ready"})
	exits := dockertest.TestAppImage(t, h.dc, "exit-"+h.realm, map[string]string{"TESTAPP_MODE": "exit"})
	bobsGrant := h.grant("bob", ready, accounting.Policy{})

	tests := []struct {
		name    string
		user    string
		mapping func() string
		conf    map[string]string
		want    error
		msg     string
	}{
		{name: "readiness timeout", user: "dave", mapping: func() string { return h.grant("dave", never, accounting.Policy{}) },
			want: session.ErrNotReady, msg: "503"},
		{name: "exits at once", user: "dave", mapping: func() string { return h.grant("dave", exits, accounting.Policy{}) },
			want: session.ErrContainerGone, msg: "exiting at once, as asked"},
		{name: "image vanished", user: "dave", mapping: func() string { return h.grant("dave", "simphony-remote-test/vanished:1", accounting.Policy{}) },
			want: session.ErrImageNotFound, msg: "vanished:1 is not in the Docker Engine"},
		{name: "unknown mapping id", user: "dave", mapping: func() string { return accounting.NewMappingID() }, want: session.ErrNotFound},
		{name: "malformed mapping id", user: "dave", mapping: func() string { return "../../etc" }, want: session.ErrNotFound},
		{name: "another user's mapping", user: "dave", mapping: func() string { return bobsGrant }, want: session.ErrNotFound},
		{name: "bad resolution", user: "dave", mapping: func() string { return h.grant("dave", ready, accounting.Policy{}) },
			conf: map[string]string{"resolution": "10x10"}, want: session.ErrInvalid, msg: "width must be 320 to 7680"},
		{name: "resolution not WxH", user: "dave", mapping: func() string { return h.grant("dave", ready, accounting.Policy{}) },
			conf: map[string]string{"resolution": "big"}, want: session.ErrInvalid, msg: "want WIDTHxHEIGHT"},
		{name: "unknown configurable", user: "dave", mapping: func() string { return h.grant("dave", ready, accounting.Policy{}) },
			conf: map[string]string{"colour": "red"}, want: session.ErrInvalid, msg: `configurable "colour"`},
		{name: "startup data not allowed", user: "dave", mapping: func() string { return h.grant("dave", ready, accounting.Policy{}) },
			conf: map[string]string{"startupdata": "/x"}, want: session.ErrInvalid, msg: "does not allow startup data"},
		{name: "startup data with a newline", user: "dave", mapping: func() string { return h.grant("dave", ready, accounting.Policy{AllowStartupData: true}) },
			conf: map[string]string{"startupdata": "/x\nrm -rf"}, want: session.ErrInvalid, msg: "control character"},
		// The grants are written to the store as they were before the
		// rules: the start checks them again and says why it refuses.
		{name: "missing volume source", user: "dave", mapping: func() string {
			return h.grant("dave", ready, volumePolicy(allowed+"/nonexistent/data"))
		}, want: session.ErrVolume, msg: allowed + "/nonexistent does not exist on the host"},
		{name: "volume source outside the allowed roots", user: "dave", mapping: func() string {
			return h.grant("dave", ready, volumePolicy(outside))
		}, want: session.ErrVolume, msg: outside + " is not under an allowed root (" + allowed + ")"},
		{name: "host /etc", user: "dave", mapping: func() string {
			return h.grant("dave", ready, volumePolicy("/etc"))
		}, want: session.ErrVolume, msg: "/etc is not under an allowed root"},
		{name: "volume source is a symlink to /etc", user: "dave", mapping: func() string {
			return h.grant("dave", ready, volumePolicy(allowed+"/innocent"))
		}, want: session.ErrVolume, msg: allowed + "/innocent is a symbolic link"},
		{name: "symlinked component", user: "dave", mapping: func() string {
			return h.grant("dave", ready, volumePolicy(allowed+"/link/x"))
		}, want: session.ErrVolume, msg: allowed + "/link is a symbolic link"},
		{name: "group-writable component", user: "dave", mapping: func() string {
			return h.grant("dave", ready, volumePolicy(group+"/x"))
		}, want: session.ErrVolume, msg: group + " is writable by group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, done := h.mgr.Subscribe()
			defer done()
			_, err := h.mgr.Start(t.Context(), tt.user, tt.mapping(), tt.conf)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Start error = %v, want %v containing %q", err, tt.want, tt.msg)
			}
			if cs := h.containers(); len(cs) != 0 {
				t.Errorf("containers left behind: %+v", cs)
			}
			if n := h.mgr.Routes().Len(); n != 0 {
				t.Errorf("%d routes left behind", n)
			}
			failed := false
			for len(events) > 0 {
				if e := <-events; e.Kind == session.EventFailed {
					failed = true
				}
			}
			if !failed {
				t.Error("no failed event")
			}
		})
	}
}

// volumePolicy mounts source read-only at /data.
func volumePolicy(source string) accounting.Policy {
	return accounting.Policy{Volume: accounting.Volume{Source: source, Target: "/data", Mode: "ro"}}
}

// Without allowed roots, a grant of a volume stored earlier fails to start,
// saying why: it is not started without its volume.
func TestVolumeWithoutRoots(t *testing.T) {
	h := newHarness(t)
	img := dockertest.TestAppImage(t, h.dc, "noroots-"+h.realm, nil)
	src := volumestest.Dir(t, volumestest.Root(t), "data")
	id := h.grant("erin", img, volumePolicy(src))
	_, err := h.mgr.Start(t.Context(), "erin", id, nil)
	if want := "no volume may be mounted: no allowed roots are configured ([volumes] allowed_roots)"; !errors.Is(err, session.ErrVolume) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Start = %v, want ErrVolume containing %q", err, want)
	}
	if cs := h.containers(); len(cs) != 0 {
		t.Errorf("containers left behind: %+v", cs)
	}
}

func TestDockerUnreachable(t *testing.T) {
	h := newHarness(t)
	cfg := config.Default().Docker
	cfg.Host = "unix:///nonexistent/docker.sock"
	cfg.NetworkTimeout = config.Duration(2 * time.Second)
	dc, err := docker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	mgr := session.New(h.store, docker.NewRuntime(dc, h.realm), routes.New(), h.opts)
	id := h.grant("erin", "img", accounting.Policy{})
	if _, err := mgr.Start(t.Context(), "erin", id, nil); !errors.Is(err, session.ErrUnavailable) {
		t.Errorf("Start with Docker away = %v, want ErrUnavailable", err)
	}
	if err := mgr.Reconcile(t.Context()); !errors.Is(err, session.ErrUnavailable) {
		t.Errorf("Reconcile with Docker away = %v, want ErrUnavailable", err)
	}
}

func TestReconcile(t *testing.T) {
	h := newHarness(t)
	img := dockertest.TestAppImage(t, h.dc, "rec-"+h.realm, nil)
	keep := h.grant("frank", img, accounting.Policy{})
	revoked := h.grant("frank", img, accounting.Policy{AllowView: true})
	gone := h.grant("gina", img, accounting.Policy{})
	var kept routes.Route
	for _, s := range []struct{ user, id string }{{"frank", keep}, {"frank", revoked}, {"gina", gone}} {
		r, err := h.mgr.Start(t.Context(), s.user, s.id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.id == keep {
			kept = r.Route
		}
	}
	if err := h.store.RevokeMapping(t.Context(), revoked); err != nil {
		t.Fatal(err)
	}
	if err := h.store.RemoveUser(t.Context(), "gina"); err != nil {
		t.Fatal(err)
	}
	// A container that was created but never started, as a crash between
	// the two steps would leave it.
	orphanURL := accounting.NewMappingID()
	_, err := h.dc.API().ContainerCreate(t.Context(), &container.Config{Image: img, Labels: map[string]string{
		protocol.LabelRealm: h.realm, protocol.LabelUser: "frank", protocol.LabelMappingID: keep,
		protocol.LabelURLID: orphanURL, protocol.LabelURLPath: protocol.URLPath("frank", orphanURL),
	}}, nil, nil, nil, h.realm+"-orphan")
	if err != nil {
		t.Fatal(err)
	}
	// Another realm's container is none of our business.
	other := newHarness(t)
	otherImg := dockertest.TestAppImage(t, other.dc, "other-"+other.realm, nil)
	if _, err := other.mgr.Start(t.Context(), "frank", other.grant("frank", otherImg, accounting.Policy{}), nil); err != nil {
		t.Fatal(err)
	}

	// A fresh manager, as after a restart an hour later: an empty table.
	later := h.opts
	later.Now = func() time.Time { return kept.Started.Add(time.Hour) }
	fresh := session.New(h.store, h.rt, routes.New(), later)
	if err := fresh.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	rs := fresh.Routes().List()
	if len(rs) != 1 || rs[0].URLID != kept.URLID || rs[0].Upstream != kept.Upstream || rs[0].ContainerID != kept.ContainerID || rs[0].URLPath != kept.URLPath {
		t.Fatalf("routes after reconcile = %+v, want only %+v", rs, kept)
	}
	// The restored session keeps the time its container started, not the
	// time it was found again.
	if d := kept.Started.Sub(rs[0].Started); d < 0 || d > 5*time.Second {
		t.Errorf("restored session started at %s, want its container's start, just before %s", rs[0].Started, kept.Started)
	}
	if rep := fetchReport(t, rs[0]); rep.Env["URL_ID"] != kept.URLID {
		t.Errorf("restored route reaches %q", rep.Env["URL_ID"])
	}
	if cs := h.containers(); len(cs) != 1 || cs[0].ID != kept.ContainerID {
		t.Errorf("containers after reconcile: %+v", cs)
	}
	if cs := other.containers(); len(cs) != 1 {
		t.Errorf("reconcile touched another realm: %d containers there", len(cs))
	}

	// A route whose container vanished behind our back is dropped.
	if err := h.rt.Remove(t.Context(), kept.ContainerID); err != nil {
		t.Fatal(err)
	}
	if err := fresh.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	if fresh.Routes().Len() != 0 {
		t.Error("the route of a vanished container survived reconcile")
	}
}

func TestDockerEventsDropDeadSessions(t *testing.T) {
	h := newHarness(t)
	img := dockertest.TestAppImage(t, h.dc, "ev-"+h.realm, nil)
	id := h.grant("hank", img, accounting.Policy{})
	ctx, cancel := context.WithCancel(t.Context())
	runDone := make(chan error, 1)
	go func() { runDone <- h.mgr.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-runDone; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
	r, err := h.mgr.Start(t.Context(), "hank", id, nil)
	if err != nil {
		t.Fatal(err)
	}
	events, done := h.mgr.Subscribe()
	defer done()
	if err := h.dc.API().ContainerKill(t.Context(), r.ContainerID, "KILL"); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(15 * time.Second)
	for stopped := false; !stopped; {
		select {
		case e := <-events:
			stopped = e.Kind == session.EventStopped && e.URLID == r.URLID
		case <-deadline:
			t.Fatal("no stopped event within 15 s of killing the container")
		}
	}
	if _, ok := h.mgr.Get(r.URLID); ok {
		t.Error("the dead session's route remains")
	}
	for end := time.Now().Add(10 * time.Second); len(h.containers()) > 0; {
		if time.Now().After(end) {
			t.Fatalf("the dead container was not removed: %+v", h.containers())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Two appliances with their own databases on one Docker Engine, in the same
// realm (the default one, for everybody), keep each other's sessions
// through their reconciles, stops and starts.
func TestTwoInstallationsShareARealm(t *testing.T) {
	a := newHarness(t)
	b := newHarness(t, func(o *session.Options) { o.Realm = a.realm })
	if a.opts.Installation == b.opts.Installation {
		t.Fatalf("two databases share the installation id %s", a.opts.Installation)
	}
	img := dockertest.TestAppImage(t, a.dc, "two-"+a.realm, nil)
	ra, err := a.mgr.Start(t.Context(), "alice", a.grant("alice", img, accounting.Policy{}), nil)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := b.mgr.Start(t.Context(), "bob", b.grant("bob", img, accounting.Policy{}), nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for _, h := range []*harness{a, b} {
			if err := h.mgr.Reconcile(t.Context()); err != nil {
				t.Fatal(err)
			}
			fresh := session.New(h.store, h.rt, routes.New(), h.opts) // as after a restart
			if err := fresh.Reconcile(t.Context()); err != nil {
				t.Fatal(err)
			}
			if n := fresh.Routes().Len(); n != 1 {
				t.Errorf("after a restart, an appliance has %d routes, want its own 1", n)
			}
		}
	}
	for _, r := range []session.Started{ra, rb} {
		if c, err := a.rt.Inspect(t.Context(), r.ContainerID); err != nil || !c.Running {
			t.Errorf("session %s: %+v, %v; want it running", r.URLID, c, err)
		}
	}
	if _, ok := a.mgr.Get(ra.URLID); !ok {
		t.Error("appliance a lost its route")
	}
	if _, ok := b.mgr.Get(rb.URLID); !ok {
		t.Error("appliance b lost its route")
	}
	if _, ok := a.mgr.Repair(t.Context(), rb.URLID); ok {
		t.Error("appliance a took over b's session")
	}
}

// A start whose caller gives up runs to its end and is listed; the
// appliance shutting down cancels a start, and nothing of it remains.
func TestStartsAndTheirCallers(t *testing.T) {
	base, shutdown := context.WithCancel(t.Context())
	defer shutdown()
	h := newHarness(t, func(o *session.Options) { o.Base = base })
	img := dockertest.TestAppImage(t, h.dc, "slow-"+h.realm, map[string]string{"TESTAPP_MODE": "slow", "TESTAPP_DELAY": "2s"})

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(500*time.Millisecond, cancel)
	r, err := h.mgr.Start(ctx, "ivy", h.grant("ivy", img, accounting.Policy{}), nil)
	if err != nil {
		t.Fatalf("a start whose caller left = %v, want it finished", err)
	}
	if l := h.mgr.List("ivy"); len(l) != 1 || l[0].URLID != r.URLID {
		t.Errorf("listed = %+v, want the started session", l)
	}

	time.AfterFunc(500*time.Millisecond, shutdown)
	if _, err := h.mgr.Start(t.Context(), "jo", h.grant("jo", img, accounting.Policy{}), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("a start during shutdown = %v, want context.Canceled", err)
	}
	if l := h.mgr.List("jo"); len(l) != 0 {
		t.Errorf("a cancelled start is listed: %+v", l)
	}
	for _, c := range h.containers() {
		if c.Labels[protocol.LabelUser] == "jo" {
			t.Errorf("a cancelled start left container %s", c.Name)
		}
	}
}

// TestCancelledCreateLeavesNoContainer: Docker goes on creating a
// container after its client left, so a create whose caller leaves midway
// must still not leave one behind (CI once found one, from a start cut
// short by shutdown, in TestStartsAndTheirCallers).
func TestCancelledCreateLeavesNoContainer(t *testing.T) {
	h := newHarness(t)
	img := dockertest.TestAppImage(t, h.dc, "app-"+h.realm, nil)
	for i, delay := range []time.Duration{0, time.Millisecond, 3 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond} {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(delay, cancel)
		c, err := h.rt.Create(ctx, session.Spec{Name: fmt.Sprintf("%s-cancelled-%d", h.realm, i), Image: img, Labels: map[string]string{protocol.LabelRealm: h.realm}})
		cancel()
		if err == nil {
			// Made before the caller left: the caller's to remove.
			if err := h.rt.Remove(context.Background(), c.ID); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("a create cancelled after %v: %v, want context.Canceled", delay, err)
		}
	}
	// What Docker was still doing when the caller left shows within
	// moments: look for 2 s, and fail at the first container seen.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cs := h.containers(); len(cs) > 0 {
			t.Fatalf("a cancelled create left container %s", cs[0].Name)
		}
	}
}
