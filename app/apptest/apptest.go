// Package apptest runs the desktop console for real, for its window test
// and make bench: it builds the desktop binary, starts a virtual X display
// (Xvfb) whose screen it can read, and finds and drives windows with
// xdotool.
package apptest

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Tags are the console's build tags (as make desktop builds it).
const Tags = "desktop,production,webkit2_41"

// Tools are the programs the window test needs besides Go: the display,
// the input driver, and pkg-config to find GTK and WebKitGTK.
var Tools = []string{"Xvfb", "xdotool", "pkg-config"}

// Missing names what is missing to build and run the console here, or "".
func Missing() string {
	var miss []string
	for _, t := range Tools {
		if _, err := exec.LookPath(t); err != nil {
			miss = append(miss, t)
		}
	}
	if len(miss) == 0 {
		if out, err := exec.Command("pkg-config", "--exists", "gtk+-3.0", "webkit2gtk-4.1").CombinedOutput(); err != nil {
			miss = append(miss, "the GTK 3 and WebKitGTK 4.1 development packages ("+strings.TrimSpace(string(out))+")")
		}
	}
	if len(miss) == 0 {
		return ""
	}
	return strings.Join(miss, ", ") + " (make testdeps installs them)"
}

// Build builds the console into dir and returns its path.
func Build(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "simphony-remote-console")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", Tags, "-o", out, "github.com/simphony/simphony-remote")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the console: %w\n%s", err, b)
	}
	return out, nil
}

// Display is a running Xvfb.
type Display struct {
	// Name is the DISPLAY value, ":N".
	Name string
	fb   string
	cmd  *exec.Cmd
}

// StartDisplay starts Xvfb with one screen of w×h, on a display number it
// picks itself, keeping its screen in a file under dir. It never resets:
// by default an X server resets when its last client leaves, and drops the
// clients that connected meanwhile, so a window opening while a poll with
// xdotool ended would fail to reach the display ("failed to init GTK").
func StartDisplay(dir string, w, h int) (*Display, error) {
	r, wr, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-fbdir", dir, "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{wr}
	if err := cmd.Start(); err != nil {
		wr.Close()
		return nil, fmt.Errorf("starting Xvfb: %w", err)
	}
	wr.Close()
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return nil, errors.New("xvfb exited without a display")
		}
		return &Display{Name: ":" + n, fb: filepath.Join(dir, "Xvfb_screen0"), cmd: cmd}, nil
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, errors.New("xvfb did not start within 30 s")
	}
}

// Close stops Xvfb.
func (d *Display) Close() {
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
}

// Env is the environment of a program on the display.
func (d *Display) Env() []string {
	return append(os.Environ(), "DISPLAY="+d.Name)
}

// Xdotool runs xdotool on the display and returns its output.
func (d *Display) Xdotool(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = d.Env()
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("xdotool %s: %w: %s", strings.Join(args, " "), err, ee.Stderr)
		}
		return "", fmt.Errorf("xdotool %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Window is the id of the first visible window whose title is name, or ""
// when there is none yet.
func (d *Display) Window(ctx context.Context, name string) string {
	out, err := d.Xdotool(ctx, "search", "--onlyvisible", "--name", "^"+name+"$")
	if err != nil {
		return ""
	}
	id, _, _ := strings.Cut(out, "\n")
	return id
}

// Geometry is a window's place on the screen.
func (d *Display) Geometry(ctx context.Context, window string) (image.Rectangle, error) {
	out, err := d.Xdotool(ctx, "getwindowgeometry", "--shell", window)
	if err != nil {
		return image.Rectangle{}, err
	}
	v := map[string]int{}
	for _, l := range strings.Split(out, "\n") {
		k, val, ok := strings.Cut(l, "=")
		if ok {
			var n int
			_, _ = fmt.Sscan(val, &n)
			v[k] = n
		}
	}
	return image.Rect(v["X"], v["Y"], v["X"]+v["WIDTH"], v["Y"]+v["HEIGHT"]), nil
}

// Screen reads the display's screen.
func (d *Display) Screen() (image.Image, error) {
	b, err := os.ReadFile(d.fb)
	if err != nil {
		return nil, err
	}
	return decodeXWD(b)
}

// decodeXWD decodes an X window dump of the kind Xvfb keeps its screen in:
// a ZPixmap of 24-bit TrueColor in 32-bit pixels.
func decodeXWD(b []byte) (image.Image, error) {
	if len(b) < 100 {
		return nil, errors.New("xwd: too short for a header")
	}
	h := func(i int) uint32 { return binary.BigEndian.Uint32(b[4*i:]) }
	headerSize, format, bpp, bpl := h(0), h(2), h(11), h(12)
	w, ht, order := int(h(4)), int(h(5)), h(7)
	rmask, gmask, bmask, ncolors := h(14), h(15), h(16), h(19)
	if h(1) != 7 || format != 2 || bpp != 32 {
		return nil, fmt.Errorf("xwd: version %d, format %d, %d bits per pixel: want version 7, ZPixmap, 32", h(1), format, bpp)
	}
	off := int(headerSize) + 12*int(ncolors)
	if off+int(bpl)*ht > len(b) || int(bpl) < 4*w {
		return nil, errors.New("xwd: truncated")
	}
	shift := func(m uint32) uint {
		var s uint
		for m != 0 && m&1 == 0 {
			m >>= 1
			s++
		}
		return s
	}
	rs, gs, bs := shift(rmask), shift(gmask), shift(bmask)
	img := image.NewNRGBA(image.Rect(0, 0, w, ht))
	for y := 0; y < ht; y++ {
		row := b[off+y*int(bpl):]
		for x := 0; x < w; x++ {
			var p uint32
			if order == 0 {
				p = binary.LittleEndian.Uint32(row[4*x:])
			} else {
				p = binary.BigEndian.Uint32(row[4*x:])
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8((p & rmask) >> rs), uint8((p & gmask) >> gs), uint8((p & bmask) >> bs), 0xff})
		}
	}
	return img, nil
}

// Colours counts the distinct colours in r of img, up to limit: a blank
// (or not yet painted) window has one or two.
func Colours(img image.Image, r image.Rectangle, limit int) int {
	seen := map[color.Color]bool{}
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			seen[img.At(x, y)] = true
			if len(seen) >= limit {
				return limit
			}
		}
	}
	return len(seen)
}

// Same reports whether two images of the same bounds have the same pixels.
func Same(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}
