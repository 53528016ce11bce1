// Package volumes decides which host directories may be mounted into
// session containers: only directories under the roots the administrator
// allows, reached without any symbolic link, through directories that
// nobody but root can change.
//
// Why this closes the race between the check and the mount: the check
// walks the source from / down, one component at a time, with lstat (never
// following a link), and wants every component (/, each directory between,
// and the source itself) to be a real directory owned by root and writable
// by neither group nor others. Replacing a component, or the entry that
// names it, needs write permission on its parent, which is again such a
// directory: only root can do it. So after the check, the path names the
// very directory that was checked until root changes it, and the session
// hands Docker that path as it is (never a resolved one): whoever resolves
// it later, Docker or the kernel at mount time, reaches the checked
// directory. Group write bits
// also cover POSIX ACLs, whose mask shows in them. Root, and whoever root
// lets act as root (the docker group, a container running as uid 0 with a
// volume above another source), stays trusted: see the README's "Volumes".
package volumes

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/config"
)

// Options say what may be mounted.
type Options struct {
	// AllowedRoots are absolute, clean directories: a source must be one
	// of them or lie under one. None: no volume may be mounted.
	AllowedRoots []string
	// DataDir is the appliance's data dir (database, admin socket,
	// homes), and Database its accounting file, which may lie elsewhere:
	// no source may be one, contain one or lie inside one.
	DataDir, Database string
	// DockerSockets are paths of the Docker Engine's socket: no source
	// may contain one, nor lie on its file system while it has another
	// hard link, which might be inside the source.
	DockerSockets []string
}

// Checker checks volume sources on this host. It is safe for concurrent
// use.
type Checker struct {
	roots   []string
	own     []ownPath
	sockets []string
}

// ownPath is a path of the appliance's own, resolved, and what it is.
type ownPath struct{ path, what string }

// New returns the checker of o. The data dir and the sockets are resolved
// once here (they are the appliance's own paths, not a policy's).
func New(o Options) *Checker {
	c := &Checker{roots: o.AllowedRoots}
	for _, p := range []ownPath{{o.DataDir, "data dir (database, admin socket, homes)"}, {o.Database, "database"}} {
		if p.path != "" {
			c.own = append(c.own, ownPath{realPath(p.path), p.what})
		}
	}
	for _, s := range o.DockerSockets {
		c.sockets = append(c.sockets, s, realPath(s))
	}
	return c
}

// realPath returns p absolute and with its symbolic links resolved; when
// p does not exist yet (a data dir serve has still to create), its deepest
// existing parent is resolved.
func realPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	rest := ""
	for dir := abs; ; dir = filepath.Dir(dir) {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, rest)
		}
		if dir == filepath.Dir(dir) {
			return abs
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}

// FromConfig returns the checker of an appliance's configuration.
func FromConfig(c *config.Config) *Checker {
	return New(Options{
		AllowedRoots: c.Volumes.AllowedRoots, DataDir: c.DataDir, Database: c.AccountingPath(),
		DockerSockets: DockerSockets(c.Docker.Host),
	})
}

// DockerSockets lists where the Docker socket may be: the unix socket of
// host (a DOCKER_HOST-style address, "" for the environment's or the
// default) and the usual places.
func DockerSockets(host string) []string {
	if host == "" {
		host = os.Getenv("DOCKER_HOST")
	}
	out := []string{"/var/run/docker.sock", "/run/docker.sock"}
	if p, ok := strings.CutPrefix(host, "unix://"); ok && p != "" {
		out = append(out, p)
	}
	return out
}

// Check checks v's source on the host, for a grant or just before its
// mount. A refusal is an *accounting.InvalidError (it matches
// accounting.ErrInvalid) naming the component and the rule, e.g.
// "/srv/data is writable by group". The zero Volume passes.
func (c *Checker) Check(v accounting.Volume) error {
	if v.IsZero() {
		return nil
	}
	if err := v.Validate(); err != nil {
		return err
	}
	if err := c.checkSource(filepath.Clean(v.Source)); err != nil {
		return &accounting.InvalidError{What: "volume", Value: v.String(), Rule: err.Error()}
	}
	return nil
}

// CheckRoots checks each allowed root as a source; what it returns is
// worth a warning, not a refusal: a root may be created or fixed later,
// and a root that contains the data dir still allows the sources under
// it that do not.
func (c *Checker) CheckRoots() []error {
	var errs []error
	for _, r := range c.roots {
		if err := c.checkSource(r); err != nil {
			errs = append(errs, fmt.Errorf("allowed volume root %s: %w", r, err))
		}
	}
	return errs
}

// checkSource applies every rule to src, a clean absolute path.
func (c *Checker) checkSource(src string) error {
	if len(c.roots) == 0 {
		return errors.New("no volume may be mounted: no allowed roots are configured ([volumes] allowed_roots)")
	}
	if !c.underRoot(src) {
		return fmt.Errorf("%s is not under an allowed root (%s)", src, strings.Join(c.roots, ", "))
	}
	fi, err := checkComponents(src)
	if err != nil {
		return err
	}
	for _, o := range c.own {
		switch {
		case src == o.path:
			return fmt.Errorf("%s is the appliance's %s", src, o.what)
		case within(o.path, src):
			return fmt.Errorf("%s contains the appliance's %s %s", src, o.what, o.path)
		case within(src, o.path):
			return fmt.Errorf("%s is inside the appliance's %s %s", src, o.what, o.path)
		}
	}
	return c.checkSockets(src, fi)
}

func (c *Checker) underRoot(src string) bool {
	for _, r := range c.roots {
		if within(src, r) {
			return true
		}
	}
	return false
}

// checkComponents lstats every component of src from / down and returns
// the source's own information.
func checkComponents(src string) (fs.FileInfo, error) {
	p := "/"
	var fi fs.FileInfo
	for _, name := range append([]string{""}, strings.Split(strings.TrimPrefix(src, "/"), "/")...) {
		p = filepath.Join(p, name)
		var err error
		if fi, err = os.Lstat(p); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s does not exist on the host", p)
			}
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if err := rootOnly(p, fi); err != nil {
			return nil, err
		}
	}
	return fi, nil
}

// rootOnly wants p to be a directory that only root may change.
func rootOnly(p string, fi fs.FileInfo) error {
	switch m := fi.Mode(); {
	case m&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link", p)
	case !m.IsDir():
		return fmt.Errorf("%s is not a directory", p)
	case m.Perm()&0o020 != 0:
		return fmt.Errorf("%s is writable by group", p)
	case m.Perm()&0o002 != 0:
		return fmt.Errorf("%s is writable by others", p)
	}
	uid, ok := owner(fi)
	switch {
	case !ok:
		return fmt.Errorf("%s: cannot tell its owner on this system", p)
	case uid != 0:
		return fmt.Errorf("%s is owned by uid %d, not root", p, uid)
	}
	return nil
}

// checkSockets refuses a source that holds a Docker socket, or might hold
// a hard link to one: a socket with more than one link on the source's
// file system (hard links never cross file systems).
func (c *Checker) checkSockets(src string, fi fs.FileInfo) error {
	dev, _ := device(fi)
	for _, s := range c.sockets {
		if within(s, src) {
			return fmt.Errorf("%s contains the Docker socket %s", src, s)
		}
		sfi, err := os.Stat(s)
		if err != nil {
			continue // no socket there
		}
		if sdev, ok := device(sfi); ok && sdev == dev && links(sfi) > 1 {
			return fmt.Errorf("the Docker socket %s has %d hard links and lies on the file system of %s: one may be inside it", s, links(sfi), src)
		}
	}
	return nil
}

// within reports whether p is dir or lies under it; both are clean paths.
func within(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}
