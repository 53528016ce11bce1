package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
)

// The packages' names, and where they put things: installer/install.sh
// and the README rely on these.
const (
	Server  = "simphony-remote"
	Console = "simphony-remote-console"

	ConfigFile = "/etc/simphony-remote/simphony-remote.toml"
	DataDir    = "/var/lib/simphony-remote"
	UnitFile   = "/lib/systemd/system/simphony-remote.service"
)

const (
	maintainer = "SimPhoNy Remote maintainers <simphony-remote@localhost>"
	homepage   = "https://github.com/simphony/simphony-remote"
)

// options are the command's flags.
type options struct {
	describe            string // git describe --tags --always --dirty
	commits             int    // commits up to HEAD, to order untagged builds
	out, bin, src, arch string
}

// build writes both packages into o.out and returns their paths. A package
// is written under a temporary name and renamed when complete.
func build(o options) ([]string, error) {
	version, err := debVersion(o.describe, o.commits)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "simphony-remote-package-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	conf := filepath.Join(tmp, "simphony-remote.toml")
	if err := rewrite(filepath.Join(o.src, "installer", "simphony-remote.toml"), conf,
		`data_dir = "./data"`, `data_dir = "`+DataDir+`"`); err != nil {
		return nil, err
	}
	desktop := filepath.Join(tmp, "simphony-remote-console.desktop")
	if err := rewrite(filepath.Join(o.src, "build", "linux", "simphony-remote-console.desktop"), desktop,
		"Exec=simphony-remote-console console", "Exec=simphony-remote-console console --config "+ConfigFile); err != nil {
		return nil, err
	}
	infos := []*nfpm.Info{serverInfo(o, conf), consoleInfo(o, version, desktop)}
	for _, info := range infos {
		info.Version = version
		info.VersionSchema = "none"
		info.Arch = o.arch
		info.Maintainer = maintainer
		info.Homepage = homepage
		info.Section = "net"
		info.Priority = "optional"
		info.Umask = 0o022
		for _, c := range info.Contents {
			if !filepath.IsAbs(c.Source) {
				c.Source = filepath.Join(o.src, c.Source)
			}
			// All there before anything is written.
			if _, err := os.Stat(c.Source); err != nil {
				return nil, fmt.Errorf("packaging %s: %w (make build and make desktop write the binaries)", info.Name, err)
			}
		}
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return nil, fmt.Errorf("making the output directory: %w", err)
	}
	var paths []string
	for _, info := range infos {
		path, err := write(nfpm.WithDefaults(info), o.out)
		if err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// write packages info as o.out/NAME_VERSION_ARCH.deb.
func write(info *nfpm.Info, out string) (string, error) {
	path := filepath.Join(out, fmt.Sprintf("%s_%s_%s.deb", info.Name, info.Version, info.Arch))
	f, err := os.CreateTemp(out, "."+info.Name+"-*.deb")
	if err != nil {
		return "", fmt.Errorf("packaging %s: %w", info.Name, err)
	}
	defer os.Remove(f.Name())
	if err := deb.Default.Package(info, f); err != nil {
		f.Close()
		return "", fmt.Errorf("packaging %s: %w", info.Name, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return "", fmt.Errorf("packaging %s: %w", info.Name, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("packaging %s: %w", info.Name, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return "", fmt.Errorf("packaging %s: %w", info.Name, err)
	}
	return path, nil
}

// file is a regular file of the package, owned by root.
func file(src, dst string, mode os.FileMode) *files.Content {
	return &files.Content{Source: src, Destination: dst, FileInfo: &files.ContentFileInfo{Owner: "root", Group: "root", Mode: mode}}
}

func serverInfo(o options, conf string) *nfpm.Info {
	config := file(conf, ConfigFile, 0o640)
	config.Type = files.TypeConfig
	return &nfpm.Info{
		Name: Server,
		Description: "remote desktop and web applications in Docker containers, through a browser\n" +
			"One program: an HTTPS portal with sign-in, the sessions' authenticating\n" +
			"proxy (embedded Caddy), the accounting database and the admin pages.\n" +
			"Users run containerised VNC desktops and web applications in their\n" +
			"browser; administrators decide who may run what.",
		Overridables: nfpm.Overridables{
			Depends:    []string{"docker.io | docker-ce", "ca-certificates", "adduser"},
			Recommends: []string{"debootstrap"},
			Contents: files.Contents{
				file(filepath.Join(o.bin, "simphony-remote"), "/usr/bin/simphony-remote", 0o755),
				file(filepath.Join(o.bin, "simphony-remote-starter"), "/usr/lib/simphony-remote/simphony-remote-starter", 0o755),
				file("installer/simphony-remote.service", UnitFile, 0o644),
				config,
				file("README.md", "/usr/share/doc/simphony-remote/README.md", 0o644),
				file("installer/deb/copyright", "/usr/share/doc/simphony-remote/copyright", 0o644),
			},
			Scripts: nfpm.Scripts{
				PostInstall: filepath.Join(o.src, "installer/deb/postinst"),
				PreRemove:   filepath.Join(o.src, "installer/deb/prerm"),
				PostRemove:  filepath.Join(o.src, "installer/deb/postrm"),
			},
		},
	}
}

func consoleInfo(o options, version, desktop string) *nfpm.Info {
	return &nfpm.Info{
		Name: Console,
		Description: "desktop admin console of SimPhoNy Remote\n" +
			"A window on the appliance running on this machine: users, applications,\n" +
			"sessions, the service and its log (GTK 3 and WebKitGTK).",
		Overridables: nfpm.Overridables{
			Depends: []string{Server + " (= " + version + ")", "libwebkit2gtk-4.1-0", "libgtk-3-0"},
			Contents: files.Contents{
				file(filepath.Join(o.bin, "simphony-remote-console"), "/usr/bin/simphony-remote-console", 0o755),
				file(desktop, "/usr/share/applications/simphony-remote-console.desktop", 0o644),
				file("build/appicon.png", "/usr/share/icons/hicolor/256x256/apps/simphony-remote-console.png", 0o644),
				file("installer/deb/copyright", "/usr/share/doc/simphony-remote-console/copyright", 0o644),
			},
		},
	}
}

// rewrite copies src to dst with the line old replaced by new: the
// packaged configuration has the package's data directory, and the
// console's menu entry opens the appliance of the packaged configuration.
func rewrite(src, dst, old, new string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	if bytes.Count(data, []byte("\n"+old+"\n")) != 1 {
		return fmt.Errorf("%s has no line %q to make %q of", src, old, new)
	}
	data = bytes.Replace(data, []byte("\n"+old+"\n"), []byte("\n"+new+"\n"), 1)
	return os.WriteFile(dst, data, 0o644)
}

var (
	// git describe of a tag, and of a commit after one:
	// v1.2.0, v1.2.0-rc1, v1.2.0-14-g3f2b8c0.
	describedTag = regexp.MustCompile(`^v?([0-9][0-9A-Za-z.+~-]*?)(?:-([0-9]+)-g([0-9a-f]+))?$`)
	// git describe --always with no tag: the abbreviated commit.
	describedCommit = regexp.MustCompile(`^[0-9a-f]{4,40}$`)
	debianVersion   = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)
)

// debVersion makes a Debian version of git describe's output: a tag
// (its leading v dropped, a - in it becoming ~, so that v1.2.0-rc1 comes
// before 1.2.0), then the commits since it and the commit
// (1.2.0+14.g3f2b8c0); with no tag, 0.0~git, the number of commits and the
// commit (0.0~git322.dd50651), so that a later commit makes a newer
// package; +dirty (or .dirty) for uncommitted changes.
func debVersion(describe string, commits int) (string, error) {
	rest, dirty := strings.CutSuffix(describe, "-dirty")
	var v string
	switch {
	case rest == "dev": // the Makefile's VERSION outside a git clone
		v = "0.0~dev"
	case describedCommit.MatchString(rest):
		v = "0.0~git" + rest
		if commits > 0 {
			v = "0.0~git" + strconv.Itoa(commits) + "." + rest
		}
	case describedTag.MatchString(rest):
		m := describedTag.FindStringSubmatch(rest)
		v = strings.ReplaceAll(m[1], "-", "~")
		if m[2] != "" {
			v += "+" + m[2] + ".g" + m[3]
		}
	default:
		return "", fmt.Errorf("making a Debian version of %q: want what git describe --tags --always --dirty prints", describe)
	}
	if dirty {
		if strings.Contains(v, "+") {
			v += ".dirty"
		} else {
			v += "+dirty"
		}
	}
	if !debianVersion.MatchString(v) {
		return "", fmt.Errorf("making a Debian version of %q: %q is not one", describe, v)
	}
	return v, nil
}

// commitCount is the number of commits up to HEAD in the repository at
// dir, or 0 when git cannot say.
func commitCount(dir string) int {
	out, err := exec.Command("git", "-C", dir, "rev-list", "--count", "HEAD").Output()
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}
