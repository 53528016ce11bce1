package images_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
	"github.com/simphony/simphony-remote/engine/images"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/rfb/rfbtest"
)

const user = "alice"

// session is a starter image running as the appliance runs it.
type session struct{ *dockertest.Session }

// start runs image for user with dir as its workspace.
func start(t *testing.T, c *docker.Client, image, dir string, env map[string]string) session {
	t.Helper()
	return session{dockertest.StartSession(t, c, image, user, dir, env)}
}

var noRedirect = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// run runs a command in the container as the desktop's user (1000:1000,
// home /workspace), on its display, and returns what it printed.
func (s session) run(ctx context.Context, cmd ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	created, err := s.C.API().ContainerExecCreate(ctx, s.ID, container.ExecOptions{
		Cmd: cmd, User: "1000:1000", Env: []string{"DISPLAY=:1", "HOME=/workspace"},
		AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return "", fmt.Errorf("running %q: %w", cmd, err)
	}
	resp, err := s.C.API().ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{})
	if err != nil {
		return "", fmt.Errorf("running %q: %w", cmd, err)
	}
	defer resp.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, resp.Reader); err != nil {
		return "", fmt.Errorf("running %q: reading its output: %w", cmd, err)
	}
	info, err := s.C.API().ContainerExecInspect(ctx, created.ID)
	if err != nil {
		return "", fmt.Errorf("running %q: %w", cmd, err)
	}
	if info.ExitCode != 0 {
		return stdout.String(), fmt.Errorf("running %q: exit code %d: %s", cmd, info.ExitCode, stderr.String())
	}
	return stdout.String(), nil
}

// get fetches path and checks its status, returning the body and the
// Location header.
func (s session) get(path string, status int) (string, string, error) {
	resp, err := noRedirect.Get("http://" + s.Addr + path)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", "", err
	}
	if resp.StatusCode != status {
		return string(body), "", fmt.Errorf("GET %s: status %d, want %d", path, resp.StatusCode, status)
	}
	return string(body), resp.Header.Get("Location"), nil
}

func TestFilesContainer(t *testing.T) {
	c := dockertest.Require(t)
	buildStarters(t, c)
	dir := dockertest.Workspace(t)
	hello := filepath.Join(dir, "hello.txt")
	if err := os.WriteFile(hello, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Chown(hello, 1000, 1000)
	s := start(t, c, images.Files, dir, nil)

	s.Poll(t, "the file list", 30*time.Second, func() error {
		body, _, err := s.get(s.Base, http.StatusOK)
		if err == nil && !strings.Contains(body, ">hello.txt<") {
			err = fmt.Errorf("the listing lacks hello.txt:\n%s", body)
		}
		return err
	})
	if body, _, err := s.get(s.Base+"hello.txt", http.StatusOK); err != nil || body != "hello" {
		t.Errorf("download: %q, %v", body, err)
	}
	if _, _, err := s.get("/user/bob/containers/x/", http.StatusNotFound); err != nil {
		t.Error(err)
	}

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "uploaded.txt")
	_, _ = fw.Write([]byte("sent through HTTP"))
	_ = mw.Close()
	resp, err := noRedirect.Post("http://"+s.Addr+s.Base+"?op=upload", mw.FormDataContentType(), &form)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: status %d, want 303", resp.StatusCode)
	}
	up := filepath.Join(dir, "uploaded.txt")
	data, err := os.ReadFile(up)
	if err != nil || string(data) != "sent through HTTP" {
		t.Fatalf("uploaded file: %q, %v", data, err)
	}
	fi, _ := os.Stat(up)
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 1000 || st.Gid != 1000 {
		t.Errorf("uploaded file owned by %d:%d, want 1000:1000", st.Uid, st.Gid)
	}

	// Rename and delete, as the app's forms send them: a taken name is
	// refused, and the file goes.
	for _, step := range []struct {
		op     string
		form   url.Values
		status int
	}{
		{"rename", url.Values{"name": {"uploaded.txt"}, "to": {"hello.txt"}}, http.StatusConflict},
		{"rename", url.Values{"name": {"uploaded.txt"}, "to": {"renamed.txt"}}, http.StatusSeeOther},
		{"delete", url.Values{"name": {"renamed.txt"}}, http.StatusSeeOther},
	} {
		resp, err := noRedirect.PostForm("http://"+s.Addr+s.Base+"?op="+step.op, step.form)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != step.status {
			t.Errorf("%s %v: status %d, want %d", step.op, step.form, resp.StatusCode, step.status)
		}
	}
	for name, want := range map[string]bool{"hello.txt": true, "uploaded.txt": false, "renamed.txt": false} {
		if _, err := os.Lstat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", name, err == nil, want)
		}
	}
}

func TestDesktopContainer(t *testing.T) {
	c := dockertest.Require(t)
	buildStarters(t, c)
	dir := dockertest.Workspace(t)
	s := start(t, c, images.Desktop, dir, map[string]string{
		protocol.EnvX11Width: "1280", protocol.EnvX11Height: "800", protocol.EnvX11Depth: "24",
	})

	s.Poll(t, "noVNC's page", 90*time.Second, func() error {
		_, _, err := s.get(s.Base+"vnc.html", http.StatusOK)
		return err
	})
	s.Poll(t, "the desktop's readiness", 60*time.Second, func() error {
		_, loc, err := s.get(s.Base+"?view_only=1", http.StatusFound)
		if err == nil && (!strings.HasPrefix(loc, s.Base+"vnc.html?autoconnect=1&") || !strings.HasSuffix(loc, "&view_only=1")) {
			err = fmt.Errorf("redirect to %q", loc)
		}
		return err
	})

	t.Run("RFB through the WebSocket", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, "ws://"+s.Addr+s.Base+"websockify", &websocket.DialOptions{Subprotocols: []string{"binary"}})
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		rfb := websocket.NetConn(ctx, ws, websocket.MessageBinary)
		width, height, name, err := handshake(rfb)
		if err != nil {
			t.Fatal(err)
		}
		if width != 1280 || height != 800 || !strings.Contains(name, user) {
			t.Errorf("desktop %dx%d %q, want 1280x800 named after %s", width, height, name, user)
		}
	})

	t.Run("the desktop runs as the workspace's owner", func(t *testing.T) {
		want := []string{"Xtigervnc", "openbox", "lxpanel", "pcmanfm", "xterm", "mousepad", "simphony-remote"}
		s.Poll(t, "the desktop's processes", 60*time.Second, func() error {
			top, err := c.API().ContainerTop(t.Context(), s.ID, []string{"-o", "pid,uid,comm"})
			if err != nil {
				return err
			}
			running := map[string]bool{}
			for _, p := range top.Processes {
				uid, comm := p[1], p[2]
				if comm != "docker-init" && uid != "1000" {
					return fmt.Errorf("%s runs as uid %s, want 1000", comm, uid)
				}
				running[comm] = true
			}
			for _, w := range want {
				if !running[w] {
					return fmt.Errorf("%s is not running: %v", w, top.Processes)
				}
			}
			return nil
		})
	})

	// Xvnc shares the X clipboard with its VNC clients: what is copied in
	// the desktop reaches noVNC's clipboard (ServerCutText), and what is
	// pasted into noVNC's becomes the desktop's clipboard and primary
	// selection (Shift+Ctrl+V, or the middle button in the terminal).
	t.Run("the clipboard is shared with noVNC's", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		c, err := rfbtest.Dial(ctx, "ws://"+s.Addr+s.Base+"websockify", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cut := make(chan string, 16)
		go func() {
			defer close(cut)
			for {
				m, err := c.ReadMessage(ctx)
				if err != nil {
					return
				}
				if ct, ok := m.(*rfbtest.ServerCutText); ok && !ct.Extended {
					cut <- string(ct.Text)
				}
			}
		}()

		const copied = "copied in the desktop"
		if _, err := s.run(ctx, "bash", "-c", "printf %s '"+copied+"' | xclip -selection clipboard >/dev/null 2>&1"); err != nil {
			t.Fatal(err)
		}
		var got []string
		for text := range cut {
			got = append(got, text)
			if text == copied {
				break
			}
		}
		if len(got) == 0 || got[len(got)-1] != copied {
			t.Fatalf("noVNC's clipboard did not get %q (got %q): %v", copied, got, ctx.Err())
		}

		const pasted = "pasted in the browser"
		if err := c.Paste(pasted); err != nil {
			t.Fatal(err)
		}
		s.Poll(t, "the pasted text in the desktop", 20*time.Second, func() error {
			for _, selection := range []string{"clipboard", "primary"} {
				out, err := s.run(ctx, "xclip", "-o", "-selection", selection)
				if err != nil {
					return err
				}
				if out != pasted {
					return fmt.Errorf("the %s holds %q, want %q", selection, out, pasted)
				}
			}
			return nil
		})
	})

	// After an abrupt end (docker kill, a crash of the host) the text
	// editor asked at every start whether to restore its previous
	// session, until answered; its setting in the session's GSettings
	// (the user's dconf database in the workspace, over the image's
	// defaults) now says never.
	t.Run("the editor never offers to restore a crashed session", func(t *testing.T) {
		out, err := s.run(t.Context(), "gsettings", "get", "org.xfce.mousepad.preferences.file", "session-restore")
		if err != nil || strings.TrimSpace(out) != "'never'" {
			t.Errorf("mousepad's session-restore is %q (%v), want 'never'", strings.TrimSpace(out), err)
		}
	})
}

// handshake does the client side of RFB 3.8 with no security, as noVNC
// does, and returns what ServerInit says.
func handshake(rw io.ReadWriter) (width, height int, name string, err error) {
	banner := make([]byte, 12)
	if _, err := io.ReadFull(rw, banner); err != nil {
		return 0, 0, "", fmt.Errorf("reading the banner: %w", err)
	}
	if string(banner) != "RFB 003.008\n" {
		return 0, 0, "", fmt.Errorf("banner %q, want RFB 003.008", banner)
	}
	if _, err := rw.Write(banner); err != nil {
		return 0, 0, "", err
	}
	var n [1]byte
	if _, err := io.ReadFull(rw, n[:]); err != nil || n[0] == 0 {
		return 0, 0, "", fmt.Errorf("reading the security types: %d, %v", n[0], err)
	}
	types := make([]byte, n[0])
	if _, err := io.ReadFull(rw, types); err != nil || !bytes.Contains(types, []byte{1}) {
		return 0, 0, "", fmt.Errorf("security types %v, %v; want None (1)", types, err)
	}
	if _, err := rw.Write([]byte{1}); err != nil { // None
		return 0, 0, "", err
	}
	var result uint32
	if err := binary.Read(rw, binary.BigEndian, &result); err != nil || result != 0 {
		return 0, 0, "", fmt.Errorf("security result %d, %v", result, err)
	}
	if _, err := rw.Write([]byte{1}); err != nil { // ClientInit: shared
		return 0, 0, "", err
	}
	var init struct {
		Width, Height uint16
		Format        [16]byte
		NameLen       uint32
	}
	if err := binary.Read(rw, binary.BigEndian, &init); err != nil {
		return 0, 0, "", fmt.Errorf("reading ServerInit: %w", err)
	}
	nameBuf := make([]byte, min(init.NameLen, 256))
	if _, err := io.ReadFull(rw, nameBuf); err != nil {
		return 0, 0, "", fmt.Errorf("reading the desktop's name: %w", err)
	}
	return int(init.Width), int(init.Height), string(nameBuf), nil
}
