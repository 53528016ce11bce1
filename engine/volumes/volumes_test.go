package volumes_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/volumes"
	"github.com/simphony/simphony-remote/engine/volumes/volumestest"
)

func TestCheck(t *testing.T) {
	top := volumestest.Root(t)
	root := volumestest.Dir(t, top, "root")   // the allowed root
	other := volumestest.Dir(t, top, "other") // not allowed
	data := volumestest.Dir(t, root, "data")
	volumestest.Dir(t, data, "x")
	volumestest.Dir(t, root, "real")
	mustSymlink(t, filepath.Join(root, "real"), filepath.Join(root, "link"))
	mustSymlink(t, "/etc", filepath.Join(root, "etc"))
	chmod(t, volumestest.Dir(t, root, "group"), 0o775)
	volumestest.Dir(t, filepath.Join(root, "group"), "x")
	chmod(t, volumestest.Dir(t, root, "others"), 0o757)
	chmod(t, volumestest.Dir(t, root, "tmp"), 0o1777)
	mine := volumestest.Dir(t, root, "mine")
	volumestest.Dir(t, mine, "x")
	chown(t, mine, 1000)
	chown(t, volumestest.Dir(t, root, "yours"), 1000)
	if err := os.WriteFile(filepath.Join(root, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	appliance := volumestest.Dir(t, root, "appliance")
	dataDir := volumestest.Dir(t, appliance, "data")
	volumestest.Dir(t, dataDir, "homes")
	run := volumestest.Dir(t, root, "run")
	sock := filepath.Join(run, "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	linked := volumestest.Dir(t, root, "linked")
	lonely := volumestest.Dir(t, top, "lonely")
	elsewhere := volumestest.Dir(t, root, "elsewhere")

	c := volumes.New(volumes.Options{AllowedRoots: []string{root, lonely}, DataDir: dataDir,
		Database: filepath.Join(elsewhere, "accounts.db"), DockerSockets: []string{sock}})
	tests := []struct {
		name    string
		c       *volumes.Checker
		source  string
		wantErr string
	}{
		{"a directory under a root", c, filepath.Join(data, "x"), ""},
		{"a root itself", c, lonely, ""},
		{"written differently", c, data + "//x/", ""},
		{"no roots", volumes.New(volumes.Options{}), data, "no volume may be mounted: no allowed roots are configured ([volumes] allowed_roots)"},
		{"outside the roots", c, other, other + " is not under an allowed root (" + root + ", " + lonely + ")"},
		{"a sibling with the root's name as prefix", c, root + "x", " is not under an allowed root"},
		{"host /etc", c, "/etc", "/etc is not under an allowed root"},
		{"a symbolic link component", c, filepath.Join(root, "link"), filepath.Join(root, "link") + " is a symbolic link"},
		{"under a symbolic link", c, filepath.Join(root, "link", "marker"), filepath.Join(root, "link") + " is a symbolic link"},
		{"a symbolic link to /etc", c, filepath.Join(root, "etc"), filepath.Join(root, "etc") + " is a symbolic link"},
		{"group-writable", c, filepath.Join(root, "group"), filepath.Join(root, "group") + " is writable by group"},
		{"under a group-writable component", c, filepath.Join(root, "group", "x"), filepath.Join(root, "group") + " is writable by group"},
		{"writable by others", c, filepath.Join(root, "others"), filepath.Join(root, "others") + " is writable by others"},
		{"sticky and writable by everybody", c, filepath.Join(root, "tmp"), filepath.Join(root, "tmp") + " is writable by group"},
		{"not root's", c, filepath.Join(root, "yours"), filepath.Join(root, "yours") + " is owned by uid 1000, not root"},
		{"under a component not root's", c, filepath.Join(mine, "x"), mine + " is owned by uid 1000, not root"},
		{"a file", c, filepath.Join(root, "file"), filepath.Join(root, "file") + " is not a directory"},
		{"missing", c, filepath.Join(root, "nope", "x"), filepath.Join(root, "nope") + " does not exist on the host"},
		{"the data dir", c, dataDir, dataDir + " is the appliance's data dir (database, admin socket, homes)"},
		{"holding the database", c, elsewhere, elsewhere + " contains the appliance's database " + filepath.Join(elsewhere, "accounts.db")},
		{"inside the data dir", c, filepath.Join(dataDir, "homes"), "is inside the appliance's data dir (database, admin socket, homes) " + dataDir},
		{"holding the data dir", c, appliance, appliance + " contains the appliance's data dir (database, admin socket, homes) " + dataDir},
		{"holding the Docker socket", c, run, run + " contains the Docker socket " + sock},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := accounting.Volume{Source: tt.source, Target: "/data", Mode: "ro"}
			err := tt.c.Check(v)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Check(%s) = %v, want nil", tt.source, err)
				}
				return
			}
			if !errors.Is(err, accounting.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Check(%s) = %v, want ErrInvalid containing %q", tt.source, err, tt.wantErr)
			}
			if want := `invalid volume "` + v.String() + `": `; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
		})
	}

	// A hard link to the Docker socket may hide anywhere on its file
	// system: while there is one, nothing there may be mounted.
	if err := os.Link(sock, filepath.Join(linked, "innocent")); err != nil {
		t.Fatal(err)
	}
	err = c.Check(accounting.Volume{Source: data, Target: "/data", Mode: "ro"})
	if want := "the Docker socket " + sock + " has 2 hard links and lies on the file system of " + data; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("with a hard link to the socket: Check = %v, want an error containing %q", err, want)
	}

	// What the policy rules refuse is refused before the host is looked at.
	if err := c.Check(accounting.Volume{Source: data, Target: "/proc", Mode: "ro"}); !errors.Is(err, accounting.ErrInvalid) || !strings.Contains(err.Error(), "target /proc") {
		t.Errorf("Check with target /proc = %v", err)
	}
	if err := c.Check(accounting.Volume{}); err != nil {
		t.Errorf("Check(no volume) = %v", err)
	}
}

func TestCheckRoots(t *testing.T) {
	top := volumestest.Root(t)
	good := volumestest.Dir(t, top, "good")
	loose := volumestest.Dir(t, top, "loose")
	chmod(t, loose, 0o775)
	missing := filepath.Join(top, "missing")
	errs := volumes.New(volumes.Options{AllowedRoots: []string{good, loose, missing}}).CheckRoots()
	want := []string{
		"allowed volume root " + loose + ": " + loose + " is writable by group",
		"allowed volume root " + missing + ": " + missing + " does not exist on the host",
	}
	if len(errs) != len(want) {
		t.Fatalf("CheckRoots = %v, want %d errors", errs, len(want))
	}
	for i, w := range want {
		if errs[i].Error() != w {
			t.Errorf("error %d = %q, want %q", i, errs[i], w)
		}
	}
}

func TestDockerSockets(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///srv/docker/engine.sock")
	if got := strings.Join(volumes.DockerSockets(""), " "); got != "/var/run/docker.sock /run/docker.sock /srv/docker/engine.sock" {
		t.Errorf("DockerSockets from DOCKER_HOST = %s", got)
	}
	if got := strings.Join(volumes.DockerSockets("tcp://10.0.0.1:2376"), " "); got != "/var/run/docker.sock /run/docker.sock" {
		t.Errorf("DockerSockets(tcp) = %s", got)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func chmod(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	if mode&0o1000 != 0 {
		mode = mode&0o777 | os.ModeSticky
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func chown(t *testing.T, p string, uid int) {
	t.Helper()
	if err := os.Chown(p, uid, uid); err != nil {
		t.Fatal(err)
	}
}

// The configuration's data dir, database and Docker socket are the
// appliance's own, whatever the spelling.
func TestFromConfig(t *testing.T) {
	root := volumestest.Root(t)
	appliance := volumestest.Dir(t, root, "appliance")
	dbDir := volumestest.Dir(t, root, "db")
	run := volumestest.Dir(t, root, "run")
	if err := os.Symlink(appliance, filepath.Join(root, "via-link")); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DataDir = filepath.Join(root, "via-link", "data") // not there yet: serve creates it
	cfg.Accounting.Path = filepath.Join(dbDir, "accounts.db")
	cfg.Docker.Host = "unix://" + filepath.Join(run, "docker.sock")
	cfg.Volumes.AllowedRoots = []string{root}
	c := volumes.FromConfig(&cfg)
	for src, want := range map[string]string{
		appliance: appliance + " contains the appliance's data dir (database, admin socket, homes) " + filepath.Join(appliance, "data"),
		dbDir:     dbDir + " contains the appliance's database " + cfg.Accounting.Path,
		run:       run + " contains the Docker socket " + filepath.Join(run, "docker.sock"),
	} {
		err := c.Check(accounting.Volume{Source: src, Target: "/data", Mode: "ro"})
		if !errors.Is(err, accounting.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("Check(%s) = %v, want one containing %q", src, err, want)
		}
	}
}
