package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/api"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/history"
	"github.com/simphony/simphony-remote/engine/problem"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/shares"
	"github.com/simphony/simphony-remote/engine/version"
)

// now is the clock of the runtime's contract tests.
var now = time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)

const (
	aliceURL = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
	bobURL   = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
)

// runtimeEnv is a Local with fakes of the appliance's runtime: two running
// sessions, images, a build of the starter images, a history.
type runtimeEnv struct {
	svc      *admin.Local
	docker   *fakeDocker
	running  *fakeRunning
	starters *fakeStarters
	store    audit.Store
}

type envOption func(*admin.Options, *runtimeEnv)

func newRuntimeEnv(t *testing.T, opts ...envOption) *runtimeEnv {
	t.Helper()
	s := newStore(t)
	ctx := t.Context()
	for _, u := range []string{"alice", "bob", "carol"} {
		if err := s.CreateUser(ctx, accounting.User{Name: u}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateApplication(ctx, accounting.Application{Image: "lab/tool:2.1"}); err != nil {
		t.Fatal(err)
	}
	table := routes.New()
	table.Put(routes.Route{URLID: bobURL, User: "bob", MappingID: strings.Repeat("2", 32), Image: "lab/tool:2.1",
		URLPath: "/user/bob/containers/" + bobURL + "/", Started: now.Add(-time.Hour)})
	table.Put(routes.Route{URLID: aliceURL, User: "alice", MappingID: strings.Repeat("1", 32), Image: "lab/desk:1",
		URLPath: "/user/alice/containers/" + aliceURL + "/", Started: now.Add(-2 * time.Hour)})
	expires := now.Add(time.Hour)
	sh := fakeShares{aliceURL: {
		{URLID: aliceURL, User: "dave", Mode: shares.Control},
		{URLID: aliceURL, User: "carol", Mode: shares.View, Expires: &expires},
	}}
	d := newFakeDocker()
	d.add("lab/tool:2.1", true)
	d.add("lab/desk:1", true)
	d.add("busybox:latest", false)
	data := t.TempDir()
	if err := os.MkdirAll(filepath.Join(data, "homes", "alice"), 0o750); err != nil {
		t.Fatal(err)
	}
	for name, size := range map[string]int{"simphony-remote.db": 1000, "homes/alice/notes.txt": 300} {
		if err := os.WriteFile(filepath.Join(data, name), make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e := &runtimeEnv{docker: d, running: &fakeRunning{t: table}, starters: &fakeStarters{release: make(chan struct{})}, store: s}
	o := admin.Options{
		Audit: s, Log: audit.NewLog(s, zerolog.Nop()),
		Running: e.running, Shares: sh, Docker: d, Starters: e.starters.build,
		History: fakeHistory{Starts: 5, Failures: 1,
			Running: []history.Sample{{Time: now.Add(-10 * time.Minute), Count: 2}, {Time: now, Count: 1}},
			Hours:   []history.Hour{{Hour: now.Add(-time.Hour), Starts: 3, P50: 1500 * time.Millisecond, P95: 2500 * time.Millisecond}}},
		SignedIn: func() int { return 3 }, Realm: "lab", Backend: "bbolt", Warnings: []string{"sessions share the portal's origin"},
		DataDir: data, HomesDir: filepath.Join(data, "homes"), Now: func() time.Time { return now },
		Process: admin.Process{Started: now.Add(-3 * time.Hour).In(time.FixedZone("CET", 3600)), URL: "https://lab.example:8443/",
			CAFingerprint: func() string { return "AB:CD:EF" }, PID: 4242},
	}
	for _, opt := range opts {
		opt(&o, e)
	}
	e.svc = admin.NewLocal(s, o)
	t.Cleanup(e.svc.Close)
	return e
}

// serveAdmin serves the whole admin API (api.NewAdminHandler) on svc at a
// unix socket and returns a Client of it.
func serveAdmin(t *testing.T, svc admin.Service) *admin.Client {
	t.Helper()
	path := filepath.Join(shortDir(t), "admin.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	h := api.NewAdminHandler(api.AdminDeps{Service: svc, Log: zerolog.Nop()})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(audit.WithActor(r.Context(), socketActor)))
	})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	c := admin.DialSocket(path)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// rstep is one operation on the runtime's parts.
type rstep struct {
	name string
	do   func(ctx context.Context, svc admin.Service, e *runtimeEnv) (any, error)
}

// routcome is what a step gave: its result as JSON, its error's message,
// the sentinels it matches and how problem.Of classifies it.
type routcome struct {
	Result  string
	Err     string
	Matches []bool
	Problem string
}

// socketActor is who calls in the contract tests: the admin socket's
// peer, as on the appliance's machine.
var socketActor = audit.Actor{Name: "socket uid 0 (root)", Address: audit.SocketAddress}

func runRuntime(t *testing.T, svc admin.Service, e *runtimeEnv, steps []rstep) []routcome {
	var out []routcome
	ctx := audit.WithActor(t.Context(), socketActor)
	for _, s := range steps {
		res, err := s.do(ctx, svc, e)
		b, jerr := json.Marshal(res)
		if jerr != nil {
			t.Fatalf("step %s: %v", s.name, jerr)
		}
		o := routcome{Result: string(b)}
		if err != nil {
			o.Err = err.Error()
			p := problem.Of(err)
			o.Problem = fmt.Sprintf("%d %s", p.Status, p.Type)
		}
		for _, sen := range sentinels {
			o.Matches = append(o.Matches, errors.Is(err, sen))
		}
		out = append(out, o)
	}
	return out
}

// compareRuntime plays steps on a Local and on a Client of another Local
// made alike, through the real admin API, and wants the same outcomes;
// want checks the Local's.
func compareRuntime(t *testing.T, opts []envOption, steps []rstep, want func(t *testing.T, got []routcome)) {
	local := newRuntimeEnv(t, opts...)
	wantOut := runRuntime(t, local.svc, local, steps)
	remote := newRuntimeEnv(t, opts...)
	got := runRuntime(t, serveAdmin(t, remote.svc), remote, steps)
	for i, s := range steps {
		if w, g := fmt.Sprintf("%+v", wantOut[i]), fmt.Sprintf("%+v", got[i]); w != g {
			t.Errorf("step %d %s:\nLocal  %s\nClient %s", i, s.name, w, g)
		}
	}
	want(t, wantOut)
}

// expect checks a step's outcome: its result holds each of has, its error
// is errText ("" for none) with the problem p.
func expect(t *testing.T, o routcome, step string, errText, p string, has ...string) {
	t.Helper()
	if o.Err != errText || o.Problem != p {
		t.Errorf("%s: error %q (%s), want %q (%s)", step, o.Err, o.Problem, errText, p)
	}
	for _, h := range has {
		if !strings.Contains(o.Result, h) {
			t.Errorf("%s: result %s lacks %s", step, o.Result, h)
		}
	}
}

func none(err error) (any, error) { return nil, err }

func TestRuntimeClientMatchesLocal(t *testing.T) {
	steps := []rstep{
		{"info", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) { return s.Info(ctx) }},
		{"sessions", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) { return s.Sessions(ctx) }},
		{"stats", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) { return s.Stats(ctx) }},
		{"stop unknown", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return none(s.StopSession(ctx, strings.Repeat("0", 32)))
		}},
		{"stop dot", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return none(s.StopSession(ctx, "."))
		}},
		{"stop bob's", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return none(s.StopSession(ctx, bobURL))
		}},
		{"sessions after", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) { return s.Sessions(ctx) }},
		{"images", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) { return s.Images(ctx) }},
		{"import garbage", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return s.ImportImages(ctx, strings.NewReader("garbage"))
		}},
		{"import", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return s.ImportImages(ctx, strings.NewReader("lab/plain:1\nlab/new:1 labelled"))
		}},
		{"build a bad tag", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return s.BuildImage(ctx, strings.NewReader("x"), "Bad Tag")
		}},
		{"build failing", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return s.BuildImage(ctx, strings.NewReader("fail"), "lab/broken:1")
		}},
		{"build", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return s.BuildImage(ctx, strings.NewReader("ok"), "lab/built:1")
		}},
		{"remove nothing", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return none(s.RemoveImage(ctx, " "))
		}},
		{"remove a registered one", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return none(s.RemoveImage(ctx, "lab/tool:2.1"))
		}},
		{"remove one in use", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return none(s.RemoveImage(ctx, "lab/desk:1"))
		}},
		{"remove an unknown one", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return none(s.RemoveImage(ctx, "lab/nothing:1"))
		}},
		{"remove", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return none(s.RemoveImage(ctx, "lab/plain:1"))
		}},
		{"images after", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) { return s.Images(ctx) }},
		{"no starters build yet", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) { return s.Starters(ctx) }},
		{"build the starters", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return none(s.BuildStarters(ctx))
		}},
		{"build the starters again", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return none(s.BuildStarters(ctx))
		}},
		{"the build ends", func(ctx context.Context, s admin.Service, e *runtimeEnv) (any, error) {
			close(e.starters.release)
			return waitStarters(ctx, s)
		}},
		{"audit", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			entries, _, err := s.Audit(ctx, audit.Query{Limit: 100})
			var out []string
			for _, e := range entries {
				out = append(out, e.Action+" "+e.Target+" "+e.Result+": "+e.Detail)
			}
			return out, err
		}},
	}
	compareRuntime(t, nil, steps, func(t *testing.T, o []routcome) {
		expect(t, o[0], "info", "", "", `"Realm":"lab","Backend":"bbolt","ReadOnly":false,"Warnings":["sessions share the portal's origin"]`,
			`"Version":"`+version.Get().Version+`","Commit":"`+version.Get().Commit+`","Started":"2026-12-06T23:00:00Z","URL":"https://lab.example:8443/","CAFingerprint":"AB:CD:EF","PID":4242}`)
		expect(t, o[1], "sessions", "", "", `[{"URLID":"`+aliceURL, `"Viewers":[{"User":"carol","Mode":"view","Expires":"2026-12-07T03:00:00Z"},{"User":"dave","Mode":"control","Expires":null}]`, `{"URLID":"`+bobURL)
		expect(t, o[2], "stats", "", "", `"Users":3,"ActiveUsers":2,"Applications":1,"RunningSessions":2,"SignedInUsers":3,"Starts24h":5,"Failures24h":1`,
			`"PerApplication":{"lab/desk:1":1,"lab/tool:2.1":1},"Docker":"ok","DataBytes":1300,"HomesBytes":300`,
			`"Running":[{"Time":"2026-12-07T01:50:00Z","Count":2},{"Time":"2026-12-07T02:00:00Z","Count":1}]`,
			`"StartTimes":[{"Hour":"2026-12-07T01:00:00Z","Starts":3,"P50":1500000000,"P95":2500000000}]`)
		expect(t, o[3], "stop unknown", "stopping session 00000000000000000000000000000000: not found", "404 not_found")
		expect(t, o[5], "stop bob's", "", "")
		if strings.Contains(o[6].Result, bobURL) || !strings.Contains(o[6].Result, aliceURL) {
			t.Errorf("sessions after the stop: %s", o[6].Result)
		}
		expect(t, o[7], "images", "", "", `{"Name":"busybox:latest"`, `"HasProtocol":false,"Registered":false,"InUse":false`,
			`{"Name":"lab/desk:1","ID":"sha256:0000000000000000000000000000000000000000000000000000000000000002","Size":2000,"Created":"2026-11-02T10:00:00Z","HasProtocol":true,"Registered":false,"InUse":true,"UIName":"Tool lab/desk:1","Type":"webapp"`,
			`"Icon128":"`+icon+`","Env":[{"Name":"STARTUPDATA","Description":"the path the user gives as startup data, where the policy allows it"},{"Name":"TOOL_MODE","Description":""}],"Configurables":["startupdata"]`,
			`"Name":"busybox:latest","ID":"sha256:0000000000000000000000000000000000000000000000000000000000000003","Size":3000,"Created":"2026-11-02T10:00:00Z","HasProtocol":false,"Registered":false,"InUse":false,"UIName":"","Type":"","Description":"","Icon128":"","Env":[],"Configurables":[]`,
			`{"Name":"lab/tool:2.1","ID":"sha256:0000000000000000000000000000000000000000000000000000000000000001","Size":1000,"Created":"2026-11-02T10:00:00Z","HasProtocol":true,"Registered":true,"InUse":false`)
		expect(t, o[8], "import garbage", "loading images: refused by Docker: unexpected EOF", "400 invalid")
		expect(t, o[9], "import", "", "", `"Images":[{"Name":"lab/new:1"`, `"Warnings":["lab/plain:1 carries no simphony-remote labels`)
		expect(t, o[10], "build a bad tag", `building an image: invalid image name "Bad Tag": not a Docker image reference (invalid reference format: repository name (library/Bad Tag) must be lowercase)`, "400 invalid")
		expect(t, o[11], "build failing", "building lab/broken:1: refused by Docker: the command returned 1\nStep 1/1 : RUN false\n", "400 invalid")
		expect(t, o[12], "build", "", "", `"Name":"lab/built:1"`, `"HasProtocol":true,"Log":"Successfully built\n"`)
		expect(t, o[13], "remove nothing", `removing an image: invalid image reference " ": it is empty`, "400 invalid")
		expect(t, o[14], "remove a registered one", `removing image: invalid image "lab/tool:2.1": the application lab/tool:2.1 is registered with it: remove the application first`, "400 invalid")
		expect(t, o[15], "remove one in use", `removing image: invalid image "lab/desk:1": the session `+aliceURL+` of alice runs it: stop it first`, "400 invalid")
		expect(t, o[16], "remove an unknown one", "removing image lab/nothing:1: image not found", "404 not_found")
		expect(t, o[17], "remove", "", "")
		if strings.Contains(o[18].Result, "lab/plain:1") || !strings.Contains(o[18].Result, "lab/new:1") {
			t.Errorf("images after the removal: %s", o[18].Result)
		}
		expect(t, o[19], "no starters build yet", "", "", `{"Running":false,"Started":"0001-01-01T00:00:00Z","Finished":"0001-01-01T00:00:00Z","Log":[],"Err":""}`)
		expect(t, o[20], "build the starters", "", "")
		expect(t, o[21], "build the starters again", "building the starter images: a build already exists (since 2026-12-07T02:00:00Z)", "409 exists")
		expect(t, o[22], "the build ends", "", "", `{"Running":false,"Started":"2026-12-07T02:00:00Z","Finished":"2026-12-07T02:00:00Z","Log":["files: building","desktop: debootstrap done"],"Err":""}`)
		expect(t, o[23], "audit", "", "",
			`"session.stop `+bobURL+` ok: by an administrator"`,
			`"image.import  failed: loading images: refused by Docker: unexpected EOF"`,
			`"image.import lab/plain:1, lab/new:1 ok: "`,
			`"image.build lab/broken:1 failed: building lab/broken:1: refused by Docker`,
			`"image.build lab/built:1 ok: "`,
			`"image.remove lab/tool:2.1 failed: removing image: invalid image`,
			`"image.remove lab/plain:1 ok: "`,
			`"image.build starter images ok: started in the background"`,
			`"image.build starter images failed: in the background; building the starter images: a build already exists`,
			`"image.build starter images ok: finished"`)
		if strings.Contains(o[23].Result, "session.stop 0000") {
			t.Errorf("stopping an unknown session was audited: %s", o[23].Result)
		}
	})
}

// waitStarters polls until the build of the starter images ends.
func waitStarters(ctx context.Context, s admin.Service) (admin.StartersBuild, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := s.Starters(ctx)
		if err != nil || !b.Running {
			return b, err
		}
		if time.Now().After(deadline) {
			return b, errors.New("the build of the starter images did not end in 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRuntimeClientMatchesLocalWithoutDocker(t *testing.T) {
	unreachable := func(o *admin.Options, e *runtimeEnv) {
		e.docker.ping = fmt.Errorf("%w at unix:///fake/docker.sock: connection refused", docker.ErrUnreachable)
	}
	steps := []rstep{
		{"images", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) { return s.Images(ctx) }},
		{"remove", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return none(s.RemoveImage(ctx, "busybox:latest"))
		}},
		{"stats", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			st, err := s.Stats(ctx)
			return st.Docker, err
		}},
	}
	compareRuntime(t, []envOption{unreachable}, steps, func(t *testing.T, o []routcome) {
		msg := "listing images: the Docker Engine is unreachable at unix:///fake/docker.sock: connection refused"
		expect(t, o[0], "images", msg, "503 unavailable")
		expect(t, o[1], "remove", "removing image busybox:latest: "+msg, "503 unavailable")
		expect(t, o[2], "stats", "", "", `"the Docker Engine is unreachable at unix:///fake/docker.sock: connection refused"`)
	})

	bare := func(o *admin.Options, e *runtimeEnv) {
		o.Docker, o.Starters, o.DataDir, o.HomesDir, o.Backend, o.Warnings = nil, nil, "", "", "csv", nil
		o.Process = admin.Process{} // as db on a stopped appliance's database
	}
	steps = []rstep{
		{"info", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) { return s.Info(ctx) }},
		{"images", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) { return s.Images(ctx) }},
		{"build the starters", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return none(s.BuildStarters(ctx))
		}},
		{"stats", func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			st, err := s.Stats(ctx)
			return []any{st.Docker, st.DataBytes, st.HomesBytes}, err
		}},
	}
	compareRuntime(t, []envOption{bare}, steps, func(t *testing.T, o []routcome) {
		expect(t, o[0], "info", "", "", `{"Realm":"lab","Backend":"csv","ReadOnly":true,"Warnings":[],"Version":"`+version.Get().Version+`","Commit":"`+version.Get().Commit+`",`+
			`"Started":"0001-01-01T00:00:00Z","URL":"","CAFingerprint":"","PID":0}`)
		expect(t, o[1], "images", "images: unavailable: no Docker Engine is configured", "503 unavailable")
		expect(t, o[2], "build the starters", "building the starter images: unavailable: this appliance cannot build them", "503 unavailable")
		expect(t, o[3], "stats", "", "", `["no Docker Engine is configured",-1,-1]`)
	})
}

// TestUserSharesClientMatchesLocal: a user's shares are those of their
// running sessions and those others gave them, with the session's owner
// and image.
func TestUserSharesClientMatchesLocal(t *testing.T) {
	shares := func(name string) rstep {
		return rstep{"shares of " + name, func(ctx context.Context, s admin.Service, _ *runtimeEnv) (any, error) {
			return s.UserShares(ctx, name)
		}}
	}
	steps := []rstep{shares("alice"), shares("carol"), shares("bob"), shares("nobody"), shares("")}
	compareRuntime(t, nil, steps, func(t *testing.T, o []routcome) {
		expect(t, o[0], "alice's", "", "",
			`[{"URLID":"`+aliceURL+`","Owner":"alice","Image":"lab/desk:1","User":"carol","Mode":"view","Expires":"2026-12-07T03:00:00Z"},`+
				`{"URLID":"`+aliceURL+`","Owner":"alice","Image":"lab/desk:1","User":"dave","Mode":"control","Expires":null}]`)
		expect(t, o[1], "carol's", "", "",
			`[{"URLID":"`+aliceURL+`","Owner":"alice","Image":"lab/desk:1","User":"carol","Mode":"view","Expires":"2026-12-07T03:00:00Z"}]`)
		expect(t, o[2], "bob's", "", "", `[]`)
		if o[2].Result != "[]" {
			t.Errorf("bob's shares: %s, want []", o[2].Result)
		}
		expect(t, o[3], "nobody's", "listing the shares of nobody: user not found", "404 not_found")
		expect(t, o[4], "no name's", "listing the shares of : user not found", "404 not_found")
	})
}
