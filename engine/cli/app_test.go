package cli_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/api/wire"
)

// newAppCLI returns a cli with its own configuration directory, and the
// path where app login stores the token.
func newAppCLI(t *testing.T) (*cli, string) {
	c := newCLI(t)
	cfg := filepath.Join(c.dir, "config")
	c.env = []string{"XDG_CONFIG_HOME=" + cfg, "HOME=" + c.dir, "TZ=UTC"}
	return c, filepath.Join(cfg, "simphony-remote", "client.json")
}

// login signs alice in to f, trusting f's certificate.
func (c *cli) login(f *fakeAppliance, extra ...string) result {
	c.t.Helper()
	args := append([]string{"app", "login", f.srv.URL, "--username", "alice", "--password-stdin", "--ca", f.caFile(c.t, c.dir)}, extra...)
	r := c.runIn("correct horse\n", args...)
	if r.code != 0 {
		c.t.Fatalf("app login: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return r
}

// storedConfig reads client.json.
func storedConfig(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, data)
	}
	return m
}

// apiJSON is the fake's answer to GET path with token, indented as --json
// prints it.
func (f *fakeAppliance) apiJSON(t *testing.T, token, path string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", path, resp.Status, raw)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(buf.String()) + "\n"
}

// failsExactly runs a command that must fail with code and print exactly
// "Error: msg" (and for usage errors the pointer to --help).
func (c *cli) failsExactly(code int, msg string, args ...string) {
	c.t.Helper()
	r := c.run(args...)
	if r.code != code || !strings.HasPrefix(r.stderr, "Error: "+msg+"\n") {
		c.t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", args, r.code, r.stderr, code, "Error: "+msg)
	}
}

func TestAppLoginAndSessions(t *testing.T) {
	f := newFakeAppliance(t)
	c, conf := newAppCLI(t)
	ca := f.caFile(t, c.dir)
	// A directory that exists with looser permissions is tightened.
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	r := c.runIn("correct horse\n", "app", "login", f.srv.URL+"/", "--username", "alice", "--password-stdin", "--ca", "root.crt", "--token-name", "laptop")
	if r.code != 0 {
		t.Fatalf("login: exit %d: %s", r.code, r.stderr)
	}
	if want := "signed in to " + f.srv.URL + ` as alice; API token "laptop" stored in ` + conf + "\n"; r.stdout != want {
		t.Errorf("login printed %q, want %q", r.stdout, want)
	}
	if strings.Contains(r.stdout+r.stderr, "correct horse") {
		t.Error("login echoed the password")
	}

	// The file: mode 0600 in a 0700 directory, nothing else left there.
	fi, err := os.Stat(conf)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", conf, fi.Mode().Perm())
	}
	if di, _ := os.Stat(filepath.Dir(conf)); di.Mode().Perm() != 0o700 {
		t.Errorf("%s has mode %04o, want 0700", filepath.Dir(conf), di.Mode().Perm())
	}
	if ents, _ := os.ReadDir(filepath.Dir(conf)); len(ents) != 1 {
		t.Errorf("the configuration directory holds %v, want client.json alone", ents)
	}
	m := storedConfig(t, conf)
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"ca", "insecure", "token", "token_id", "url", "user"}; !slices.Equal(keys, want) {
		t.Errorf("client.json has %v, want %v", keys, want)
	}
	token, _ := m["token"].(string)
	if m["url"] != f.srv.URL || m["user"] != "alice" || !strings.HasPrefix(token, "sr_") || m["ca"] != ca || m["insecure"] != false {
		t.Errorf("client.json = %v", m)
	}

	// On the appliance: the browser session is signed out, one token left.
	logins, tokens := f.state()
	if logins != 0 || tokens != 1 {
		t.Fatalf("after login the appliance has %d login sessions and %d tokens, want 0 and 1", logins, tokens)
	}
	f.mu.Lock()
	tok := f.tokens[m["token_id"].(string)]
	f.mu.Unlock()
	if tok == nil || tok.Name != "laptop" || tok.Secret != token || tok.user != "alice" || tok.Expires != nil {
		t.Fatalf("token on the appliance: %+v", tok)
	}

	// available: a table, and the API's JSON.
	want := `MAPPING ID                        NAME                           IMAGE                           RUNNING
aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  Desktop                        simphony-remote/desktop:latest  -
bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb  lab/files:1                    lab/files:1                     -
cccccccccccccccccccccccccccccccc  lab/missing:1 (image missing)  lab/missing:1                   -
dddddddddddddddddddddddddddddddd  lab/files:1                    lab/files:1                     -
eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee  lab/files:1                    lab/files:1                     -
`
	if got := c.ok("app", "available"); got != want {
		t.Errorf("app available =\n%s\nwant\n%s", got, want)
	}
	if got, want := c.ok("app", "available", "--json"), f.apiJSON(t, token, "/api/v1/applications"); got != want {
		t.Errorf("app available --json =\n%s\nwant\n%s", got, want)
	}

	// start: the session's URL; configurables only when given.
	url1 := c.ok("app", "start", mapDesktop, "--resolution", "1280x800")
	urlRE := regexp.MustCompile(`^` + regexp.QuoteMeta(f.srv.URL) + `/user/alice/containers/([0-9a-f]{32})/\n$`)
	m1 := urlRE.FindStringSubmatch(url1)
	if m1 == nil {
		t.Fatalf("app start printed %q, want the session's URL", url1)
	}
	desktop := m1[1]
	url2 := c.ok("app", "start", mapFiles)
	m2 := urlRE.FindStringSubmatch(url2)
	if m2 == nil {
		t.Fatalf("app start printed %q", url2)
	}
	out := c.ok("app", "start", mapFiles, "--startupdata", "/workspace/x", "--json")
	var ctr wire.Container
	if err := json.Unmarshal([]byte(out), &ctr); err != nil || ctr.MappingID != mapFiles || !strings.HasPrefix(out, "{\n  \"url_id\": ") {
		t.Errorf("app start --json printed %q (%v)", out, err)
	}
	f.mu.Lock()
	starts := f.starts
	f.mu.Unlock()
	if len(starts) != 3 || starts[0].Configurables["resolution"] != "1280x800" || len(starts[0].Configurables) != 1 ||
		starts[1].Configurables != nil || starts[2].Configurables["startupdata"] != "/workspace/x" {
		t.Errorf("the appliance received the starts %+v", starts)
	}

	// running and available show them.
	want = "URL ID                            IMAGE                           URL                                                                     STARTED\n"
	for _, id := range []string{desktop, m2[1], ctr.URLID} {
		img := "lab/files:1                   "
		if id == desktop {
			img = "simphony-remote/desktop:latest"
		}
		want += id + "  " + img + "  " + f.srv.URL + "/user/alice/containers/" + id + "/  2030-01-02 03:04:05\n"
	}
	if got := c.ok("app", "running"); !sameTable(got, want) {
		t.Errorf("app running =\n%s\nwant\n%s", got, want)
	}
	if got, want := c.ok("app", "running", "--json"), f.apiJSON(t, token, "/api/v1/containers"); got != want {
		t.Errorf("app running --json =\n%s\nwant\n%s", got, want)
	}
	if got := c.ok("app", "available"); !strings.Contains(got, strings.TrimSpace(url1)) || strings.Count(got, f.srv.URL) != 2 {
		t.Errorf("app available with running sessions =\n%s", got)
	}

	// Shares.
	before := time.Now()
	out = c.ok("app", "share", desktop, "bob", "--expires", "2h")
	if !strings.HasPrefix(out, "shared "+desktop+" with bob (view, until ") {
		t.Errorf("app share printed %q", out)
	}
	f.mu.Lock()
	sh := slices.Clone(f.shares[desktop])
	f.mu.Unlock()
	if len(sh) != 1 || sh[0].Mode != "view" || sh[0].Expires == nil ||
		sh[0].Expires.Before(before.Add(2*time.Hour-time.Second)) || sh[0].Expires.After(time.Now().Add(2*time.Hour)) {
		t.Errorf("the appliance holds the shares %+v", sh)
	}
	if out := c.ok("app", "share", desktop, "bob", "--control"); out != "shared "+desktop+" with bob (control, until unshared)\n" {
		t.Errorf("app share --control printed %q", out)
	}
	want = "USER  MODE     CREATED              EXPIRES\nbob   control  2030-01-02 03:04:05  never\n"
	if got := c.ok("app", "shares", desktop); got != want {
		t.Errorf("app shares =\n%s\nwant\n%s", got, want)
	}
	if got, want := c.ok("app", "shares", desktop, "--json"), f.apiJSON(t, token, "/api/v1/containers/"+desktop+"/shares"); got != want {
		t.Errorf("app shares --json =\n%s\nwant\n%s", got, want)
	}
	if out := c.ok("app", "unshare", desktop, "bob"); out != "stopped sharing "+desktop+" with bob\n" {
		t.Errorf("app unshare printed %q", out)
	}
	if got := c.ok("app", "shares", desktop); got != "USER  MODE  CREATED  EXPIRES\n" {
		t.Errorf("app shares after unshare = %q", got)
	}
	if got := c.ok("app", "shares", desktop, "--json"); got != "[]\n" {
		t.Errorf("app shares --json after unshare = %q", got)
	}

	// stop.
	if out := c.ok("app", "stop", desktop); out != "stopped "+desktop+"\n" {
		t.Errorf("app stop printed %q", out)
	}
	if got := c.ok("app", "running"); strings.Contains(got, desktop) || strings.Count(got, "\n") != 3 {
		t.Errorf("app running after stop =\n%s", got)
	}

	// logout revokes the token and removes the file.
	if out := c.ok("app", "logout"); out != "signed out of "+f.srv.URL+" as alice (revoked its token); removed "+conf+"\n" {
		t.Errorf("app logout printed %q", out)
	}
	if _, err := os.Stat(conf); !os.IsNotExist(err) {
		t.Errorf("client.json after logout: %v", err)
	}
	if _, tokens := f.state(); tokens != 0 {
		t.Errorf("%d tokens left after logout", tokens)
	}
	c.failsExactly(1, "not logged in: run simphony-remote app login URL first", "app", "running")
}

// sameTable compares tables whatever the padding.
func sameTable(got, want string) bool {
	norm := func(s string) string {
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
			lines = append(lines, strings.Join(strings.Fields(l), " "))
		}
		return strings.Join(lines, "\n")
	}
	return norm(got) == norm(want)
}

func TestAppLoginRefused(t *testing.T) {
	f := newFakeAppliance(t)
	c, conf := newAppCLI(t)
	ca := f.caFile(t, c.dir)
	notPEM := filepath.Join(c.dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"app", "login", f.srv.URL, "--username", "alice", "--password-stdin"}
	tests := []struct {
		name  string
		stdin string
		args  []string
		setup func()
		code  int
		wants []string
	}{
		{"wrong password", "wrong\n", append(base, "--ca", ca), nil, 1,
			[]string{"Error: signing in to " + f.srv.URL + " as alice: wrong user name or password\n"}},
		{"unknown user", "correct horse\n", []string{"app", "login", f.srv.URL, "--username", "carol", "--password-stdin", "--ca", ca}, nil, 1,
			[]string{"wrong user name or password"}},
		{"locked out", "correct horse\n", append(base, "--ca", ca), func() { f.retryAfter = "900" }, 1,
			[]string{"Error: signing in to " + f.srv.URL + " as alice: sign-in is locked after too many failed attempts; try again in 15 minutes (at "}},
		{"locked out, no Retry-After", "correct horse\n", append(base, "--ca", ca), func() { f.retryAfter = "soon" }, 1,
			[]string{"try again later"}},
		{"untrusted certificate", "correct horse\n", base, nil, 1,
			[]string{"the certificate of " + f.srv.URL + " is not trusted", "--ca FILE", "DATA_DIR/caddy/pki/authorities/local/root.crt",
				f.srv.URL + "/ca.crt", "--insecure"}},
		{"not a certificate", "correct horse\n", append(base, "--ca", notPEM), nil, 1, []string{notPEM + " holds no PEM certificate"}},
		{"no certificate file", "correct horse\n", append(base, "--ca", filepath.Join(c.dir, "nope.crt")), nil, 1,
			[]string{"reading the certificate authority", "nope.crt"}},
		{"ca and insecure", "correct horse\n", append(base, "--ca", ca, "--insecure"), nil, 2, []string{"[insecure ca]", "--help"}},
		{"http", "correct horse\n", []string{"app", "login", "http://127.0.0.1:1", "--username", "alice", "--password-stdin"}, nil, 2,
			[]string{`URL "http://127.0.0.1:1": not https; want the appliance's address, https://HOST[:PORT]`}},
		{"path", "correct horse\n", []string{"app", "login", f.srv.URL + "/login", "--username", "alice", "--password-stdin"}, nil, 2,
			[]string{"it has a path"}},
		{"no URL", "", []string{"app", "login"}, nil, 2, []string{"expects URL, got 0 argument(s)"}},
		{"password-stdin without username", "correct horse\n", []string{"app", "login", f.srv.URL, "--password-stdin"}, nil, 2,
			[]string{"--password-stdin needs --username"}},
		{"empty password", "", append(base, "--ca", ca), nil, 1, []string{"standard input is empty"}},
		{"no terminal", "correct horse\n", []string{"app", "login", f.srv.URL, "--username", "alice", "--ca", ca}, nil, 2,
			[]string{"not a terminal", "--password-stdin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			f.mu.Lock()
			f.retryAfter = ""
			f.mu.Unlock()
			if tt.setup != nil {
				f.mu.Lock()
				tt.setup()
				f.mu.Unlock()
			}
			r := c.runIn(tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", r.code, tt.code, r.stderr)
			}
			for _, w := range tt.wants {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q lacks %q", r.stderr, w)
				}
			}
			if _, err := os.Stat(conf); !os.IsNotExist(err) {
				t.Errorf("a refused login left %s (%v)", conf, err)
			}
		})
	}
	c.t = t
	f.mu.Lock()
	f.retryAfter = ""
	f.mu.Unlock()
	if logins, tokens := f.state(); logins != 0 || tokens != 0 {
		t.Errorf("refused logins left %d login sessions and %d tokens", logins, tokens)
	}

	// --insecure works, and the other commands keep not checking.
	r := c.runIn("correct horse\n", "app", "login", f.srv.URL, "--username", "alice", "--password-stdin", "--insecure")
	if r.code != 0 {
		t.Fatalf("login --insecure: exit %d: %s", r.code, r.stderr)
	}
	m := storedConfig(t, conf)
	if m["insecure"] != true || m["ca"] != nil {
		t.Errorf("client.json after --insecure: %v", m)
	}
	if out := c.ok("app", "running"); out != "URL ID  IMAGE  URL  STARTED\n" {
		t.Errorf("app running = %q", out)
	}
}

func TestAppNotLoggedIn(t *testing.T) {
	c, conf := newAppCLI(t)
	id := strings.Repeat("a", 32)
	cmds := [][]string{
		{"available"}, {"available", "--json"}, {"start", id}, {"running"}, {"stop", id},
		{"share", id, "bob"}, {"unshare", id, "bob"}, {"shares", id}, {"logout"},
	}
	for _, args := range cmds {
		c.failsExactly(1, "not logged in: run simphony-remote app login URL first", append([]string{"app"}, args...)...)
	}
	// A damaged file says to sign in again.
	if err := os.MkdirAll(filepath.Dir(conf), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.fails(1, []string{"reading the stored sign-in " + conf, "run simphony-remote app login URL again"}, "app", "running")
}

func TestAppErrors(t *testing.T) {
	f := newFakeAppliance(t)
	c, conf := newAppCLI(t)
	c.login(f)
	url := strings.TrimSpace(c.ok("app", "start", mapDesktop))
	desktop := url[len(url)-33 : len(url)-1]
	files := strings.TrimSpace(c.ok("app", "start", mapFiles))
	files = files[len(files)-33 : len(files)-1]
	other := strings.Repeat("f", 32)

	// The API's errors, as they come.
	c.failsExactly(1, `mapping id "`+other+`": no such application of yours`, "app", "start", other)
	c.failsExactly(1, `resolution "big": want WIDTHxHEIGHT, e.g. 1280x800`, "app", "start", mapDesktop, "--resolution", "big")
	c.failsExactly(1, "internal error; the server logged it under reference ref-1234", "app", "start", mapBroken)
	c.failsExactly(1, f.srv.URL+" answered 502 Bad Gateway: <html><body> <h1>Bad gateway</h1></body></html>", "app", "start", mapProxied)
	c.failsExactly(1, "container "+other+": not found", "app", "stop", other)
	c.failsExactly(1, "container "+other+": not found", "app", "shares", other)
	c.failsExactly(1, "the policy of this session does not allow sharing it", "app", "share", files, "bob")
	c.failsExactly(1, `user "carol": not found`, "app", "share", desktop, "carol")
	c.failsExactly(1, "share with bob: not found", "app", "unshare", desktop, "bob")

	// Usage errors: exit 2, nothing sent.
	usage := []struct {
		msg  string
		args []string
	}{
		{`MAPPING_ID "xyz": want 32 hexadecimal digits, as "simphony-remote app available" shows`, []string{"start", "xyz"}},
		{`URL_ID "../tokens": want 32 hexadecimal digits, as "simphony-remote app running" shows`, []string{"stop", "../tokens"}},
		{"expects MAPPING_ID, got 0 argument(s)", []string{"start"}},
		{"expects URL_ID USER, got 1 argument(s)", []string{"share", desktop}},
		{"if any flags in the group [view control] are set none of the others can be", []string{"share", desktop, "bob", "--view", "--control"}},
		{"--expires -1h0m0s: want a duration after now, e.g. 2h", []string{"share", desktop, "bob", "--expires", "-1h"}},
		{`invalid argument "soon" for "--expires" flag`, []string{"share", desktop, "bob", "--expires", "soon"}},
		{`USER "..": not a user name`, []string{"unshare", desktop, ".."}},
		{"unknown flag: --all", []string{"running", "--all"}},
	}
	f.mu.Lock()
	nStarts := len(f.starts)
	f.mu.Unlock()
	for _, u := range usage {
		r := c.run(append([]string{"app"}, u.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, u.msg) || !strings.Contains(r.stderr, "--help' for usage") {
			t.Errorf("app %v: exit %d, stderr %q; want 2 and %q", u.args, r.code, r.stderr, u.msg)
		}
	}
	f.mu.Lock()
	if len(f.starts) != nStarts {
		t.Errorf("usage errors reached the appliance: %+v", f.starts[nStarts:])
	}
	f.mu.Unlock()

	// A file others may read is used, with a warning.
	if err := os.Chmod(conf, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := c.run("app", "running"); r.code != 0 || !strings.Contains(r.stderr, "Warning: "+conf+" holds an API token and is readable by others (mode 0644)") {
		t.Errorf("with a readable client.json: exit %d, stderr %q", r.code, r.stderr)
	}
	if err := os.Chmod(conf, 0o600); err != nil {
		t.Fatal(err)
	}

	// A token revoked on the appliance: say how to sign in again.
	f.mu.Lock()
	clear(f.tokens)
	f.mu.Unlock()
	c.failsExactly(1, "sign in, or send an API token; sign in again: simphony-remote app login "+f.srv.URL, "app", "running")

	// A stored sign-in that does not trust the certificate.
	m := storedConfig(t, conf)
	delete(m, "ca")
	data, _ := json.Marshal(m)
	if err := os.WriteFile(conf, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c.fails(1, []string{"the certificate of " + f.srv.URL + " is not trusted", "simphony-remote app login " + f.srv.URL + " --ca FILE"}, "app", "available")
}

func TestAppLogout(t *testing.T) {
	f := newFakeAppliance(t)
	c, conf := newAppCLI(t)

	// A second login replaces the first, whose token is revoked.
	c.login(f)
	first := storedConfig(t, conf)["token_id"]
	r := c.login(f)
	if r.stderr != "" {
		t.Errorf("second login warned: %s", r.stderr)
	}
	second := storedConfig(t, conf)["token_id"]
	f.mu.Lock()
	_, firstLeft := f.tokens[first.(string)]
	_, secondLeft := f.tokens[second.(string)]
	f.mu.Unlock()
	if first == second || firstLeft || !secondLeft {
		t.Errorf("after a second login: first token %v kept %v, second %v kept %v", first, firstLeft, second, secondLeft)
	}

	// A token that is no longer valid: logout still forgets it.
	f.mu.Lock()
	clear(f.tokens)
	f.mu.Unlock()
	if out := c.ok("app", "logout"); out != "signed out of "+f.srv.URL+" as alice (its token was no longer valid); removed "+conf+"\n" {
		t.Errorf("logout of a revoked token printed %q", out)
	}

	// --local keeps the token on the appliance.
	c.login(f)
	if out := c.ok("app", "logout", "--local"); !strings.Contains(out, "its token stays valid until revoked in the portal") {
		t.Errorf("logout --local printed %q", out)
	}
	if _, tokens := f.state(); tokens != 1 {
		t.Errorf("logout --local left %d tokens, want 1", tokens)
	}

	// An appliance that does not answer: the file stays.
	c.login(f)
	f.srv.Close()
	c.fails(1, []string{"revoking the API token", "talking to " + f.srv.URL, "--local"}, "app", "logout")
	if _, err := os.Stat(conf); err != nil {
		t.Errorf("a failed logout removed the file: %v", err)
	}
	c.ok("app", "logout", "--local")
	if _, err := os.Stat(conf); !os.IsNotExist(err) {
		t.Errorf("logout --local kept the file: %v", err)
	}
}

func TestAppConfigLocation(t *testing.T) {
	f := newFakeAppliance(t)
	for _, xdg := range []string{"", "relative/dir"} {
		t.Run("XDG_CONFIG_HOME="+xdg, func(t *testing.T) {
			c := newCLI(t)
			c.env = []string{"XDG_CONFIG_HOME=" + xdg, "HOME=" + c.dir}
			c.login(f)
			if _, err := os.Stat(filepath.Join(c.dir, ".config", "simphony-remote", "client.json")); err != nil {
				t.Errorf("no client.json under $HOME/.config: %v", err)
			}
			c.ok("app", "running")
		})
	}
}
