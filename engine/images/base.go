package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"

	"github.com/simphony/simphony-remote/engine/human"
)

// baseRepo is the repository of the desktop's base images, tagged with a
// hash of their parameters.
const baseRepo = "simphony-remote/desktop-base"

// baseImage is the desktop's base: a Debian minbase root file system made
// with debootstrap and imported into Docker.
type baseImage struct {
	mirror  string // the Debian mirror debootstrap uses
	sources string // the image's /etc/apt/sources.list
	arch    string // dpkg's architecture name
	params  string // all of the above, as text: what the tag hashes
	tag     string
}

// newBaseImage works out the base's parameters from the host's apt sources.
func newBaseImage(aptPaths []string) (baseImage, error) {
	if len(aptPaths) == 0 {
		aptPaths = defaultAptSources
	}
	srcs, err := readAptSources(aptPaths)
	if err != nil {
		return baseImage{}, err
	}
	mirror, sources, err := mirrorSources(srcs)
	if err != nil {
		return baseImage{}, fmt.Errorf("%w in %s: the desktop base is made with debootstrap from the Debian mirror the host's apt uses; add a Debian %s source there",
			err, strings.Join(aptPaths, ", "), suite)
	}
	b := baseImage{mirror: mirror, sources: sources, arch: dpkgArch()}
	b.params = fmt.Sprintf("debootstrap --variant=minbase --arch=%s %s ROOT %s\n/etc/apt/sources.list:\n%s", b.arch, suite, mirror, sources)
	sum := sha256.Sum256([]byte(b.params))
	b.tag = baseRepo + ":" + suite + "-" + hex.EncodeToString(sum[:])[:12]
	return b, nil
}

// dpkgArch is the host's Debian architecture (amd64, arm64...).
func dpkgArch() string {
	if out, err := exec.Command("dpkg", "--print-architecture").Output(); err == nil {
		if a := strings.TrimSpace(string(out)); a != "" {
			return a
		}
	}
	return runtime.GOARCH
}

// ensureBase makes the base image unless Docker has it already, and
// returns its tag.
func (b *builder) ensureBase(ctx context.Context, base baseImage) (string, error) {
	out := b.opts.Progress
	_, err := b.c.API().ImageInspect(ctx, base.tag)
	if err == nil {
		fmt.Fprintf(out, "%s: up to date\n", base.tag)
		return base.tag, nil
	}
	if !cerrdefs.IsNotFound(err) {
		return "", fmt.Errorf("looking up the base image %s: %w", base.tag, err)
	}
	debootstrap, err := findDebootstrap()
	if err != nil {
		return "", err
	}
	if os.Geteuid() != 0 {
		return "", fmt.Errorf("%w: it is made with debootstrap, which must run as root; run this as root (sudo make images), or build only the files image with --only files", ErrNeedRoot)
	}
	start := time.Now()
	dir, err := os.MkdirTemp(b.opts.WorkDir, "simphony-remote-rootfs-")
	if err != nil {
		return "", fmt.Errorf("making the base's directory: %w", err)
	}
	defer func() {
		if err := removeRootfs(dir); err != nil {
			fmt.Fprintf(out, "%s: %v\n", base.tag, err)
		}
	}()
	fmt.Fprintf(out, "%s: debootstrap %s from %s (about a minute)\n", base.tag, suite, base.mirror)
	if err := runDebootstrap(ctx, debootstrap, base, dir, out); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "etc/apt/sources.list"), []byte(base.sources), 0o644); err != nil {
		return "", fmt.Errorf("writing the base's apt sources: %w", err)
	}
	fmt.Fprintf(out, "%s: importing into Docker\n", base.tag)
	if err := b.importRootfs(ctx, dir, base.tag); err != nil {
		return "", err
	}
	fmt.Fprintf(out, "%s: made in %s\n", base.tag, human.Duration(time.Since(start)))
	return base.tag, nil
}

// findDebootstrap looks for debootstrap, also in /usr/sbin, which a
// user's PATH may lack.
func findDebootstrap() (string, error) {
	if p, err := exec.LookPath("debootstrap"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/debootstrap", "/sbin/debootstrap"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: the desktop base is made with it; install it with apt-get install debootstrap", ErrNoDebootstrap)
}

// runDebootstrap makes the root file system in dir, showing debootstrap's
// main steps (not its line per package).
func runDebootstrap(ctx context.Context, debootstrap string, base baseImage, dir string, out io.Writer) error {
	cmd := exec.CommandContext(ctx, debootstrap, "--variant=minbase", "--arch="+base.arch, suite, dir, base.mirror)
	var tail []string
	p := newBuildProgress(out, "debootstrap", time.Now)
	defer p.ticking()()
	lw := &lineWriter{fn: func(line string) {
		if tail = append(tail, line); len(tail) > tailLines {
			tail = tail[1:]
		}
		if debootstrapStep(line) {
			p.show(line)
		}
	}}
	cmd.Stdout, cmd.Stderr = lw, lw
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	err := cmd.Run()
	lw.Flush()
	if err != nil {
		return fmt.Errorf("debootstrap %s from %s: %w; its last output:\n  %s", suite, base.mirror, err, strings.Join(tail, "\n  "))
	}
	return nil
}

// debootstrapStep picks debootstrap's lines worth showing.
func debootstrapStep(line string) bool {
	if strings.HasPrefix(line, "E: ") || strings.HasPrefix(line, "W: ") {
		return true
	}
	for _, noisy := range []string{"Retrieving ", "Validating ", "Extracting ", "Unpacking ", "Configuring ", "Checking component", "Found additional"} {
		if strings.HasPrefix(line, "I: "+noisy) {
			return false
		}
	}
	return strings.HasPrefix(line, "I: ")
}

// importRootfs imports dir as the image tag, as `tar -C dir -c . | docker
// import - tag` does.
func (b *builder) importRootfs(ctx context.Context, dir, tag string) error {
	cmd := exec.CommandContext(ctx, "tar", "--numeric-owner", "-C", dir, "-c", ".")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("importing the base: %w", err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("importing the base: running tar: %w", err)
	}
	rc, err := b.c.API().ImageImport(ctx, image.ImportSource{Source: stdout, SourceName: "-"}, tag, image.ImportOptions{
		Changes: []string{
			"ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			`CMD ["/bin/bash"]`,
		},
	})
	if err == nil {
		err = readBuild(rc, io.Discard, "import")
		_ = rc.Close()
	}
	_, _ = io.Copy(io.Discard, stdout) // let tar finish if Docker stopped reading
	if werr := cmd.Wait(); err == nil && werr != nil {
		err = fmt.Errorf("tar: %w: %s", werr, strings.TrimSpace(stderr.String()))
	}
	if err != nil {
		return fmt.Errorf("importing the base into Docker: %w", err)
	}
	return nil
}
