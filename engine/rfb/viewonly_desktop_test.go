package rfb_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestViewOnlyDesktop proves, against the real desktop image, that a
// viewer relayed through the view-only filter watches the desktop but
// cannot type, click, paste or resize, while the owner beside them can;
// that the viewer joining does not disconnect the owner; and that
// Registry.Close cuts the viewer off. A control at the end shows that
// the same input, not filtered, does reach the desktop.
func TestViewOnlyDesktop(t *testing.T) {
	s := newScene(t)
	d, owner, viewer := s.d, s.owner, s.viewer
	// The viewer asked for the desktop to itself: the filter made it
	// shared, and the owner stays.
	owner.updated(t, "the owner, once the viewer joined")

	// No bracketed paste: a pasted line then runs by itself.
	s.run(`bind set\ enable-bracketed-paste\ off`, "owned")
	t.Log("the owner typed a command: owned exists")

	// Typing. The owner starts cat, which writes each line typed into
	// the terminal to a file; the viewer types and pastes; once the
	// viewer has its next picture, all that has been handled (or
	// dropped), and the owner's line comes after it.
	s.focusTerminal()
	send(t, "the owner", owner.c.TypeString("cat > /workspace/typed\n"))
	d.Poll(t, "cat in the terminal", 20*time.Second, func() error {
		if !d.runs(t, "cat") {
			return errors.New("cat is not running")
		}
		return nil
	})
	v := viewer.c
	send(t, "the viewer",
		v.Click(termX, termY),
		v.TypeString("touch /workspace/pwned\n"),
		v.Paste("touch /workspace/pwned-paste\n"))
	viewer.updated(t, "the viewer, after typing")
	send(t, "the owner", owner.c.TypeString("owner's line\n"), ctrl(owner.c, "d"))
	d.Poll(t, "cat's end", 20*time.Second, func() error {
		if d.runs(t, "cat") {
			return errors.New("cat is still running")
		}
		return nil
	})
	if typed, err := os.ReadFile(filepath.Join(d.dir, "typed")); err != nil || string(typed) != "owner's line\n" {
		t.Fatalf("the terminal got %q (%v), want only the owner's line", typed, err)
	}
	s.nothingFromViewer()

	// Pasting: the owner's clipboard, pasted with the middle button, runs
	// (so pasting works here); after the viewer's paste, the owner's is
	// still what the middle button pastes.
	send(t, "the owner", owner.c.Paste("touch /workspace/owner-paste\n"))
	owner.updated(t, "the owner, after its paste")
	s.middlePaste("owner-paste")
	if err := os.Remove(filepath.Join(d.dir, "owner-paste")); err != nil {
		t.Fatal(err)
	}
	send(t, "the viewer", v.Paste("touch /workspace/pwned-paste2\n"))
	viewer.updated(t, "the viewer, after its paste")
	s.middlePaste("owner-paste")

	// Last, a resize, QEMU key events, and a click on the terminal's
	// close button.
	send(t, "the viewer",
		v.SetDesktopSize(640, 480),
		v.Send([]byte{255, 0, 0, 1, 0, 0, 0, 'x', 0, 0, 0, 0x2d}), // QEMU extended key: x down
		v.Send([]byte{255, 0, 0, 0, 0, 0, 0, 'x', 0, 0, 0, 0x2d}), // and up
		v.Click(closeX, closeY))
	viewer.updated(t, "the viewer, after its last attempts")
	deadline := time.Now().Add(3 * time.Second) // for anything to show
	for time.Now().Before(deadline) {
		s.nothingFromViewer()
		time.Sleep(200 * time.Millisecond)
	}
	if !d.terminalRuns(t) {
		t.Fatal("the terminal is gone: the viewer's click on its close button went through")
	}
	if w, h := owner.screen.Size(); w != 1280 || h != 800 {
		t.Fatalf("the desktop is %dx%d: the viewer resized it", w, h)
	}
	s.run("true", "owned2")

	// Both still watch, on their first connections.
	viewer.updated(t, "the viewer, at the end")
	owner.updated(t, "the owner, at the end")

	// Revoking the share closes the viewer's connection at once, and only
	// the viewer's.
	if n := s.revokeViewer(); n != 1 {
		t.Fatalf("revoking closed %d relays, want 1", n)
	}
	select {
	case <-viewer.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the viewer's connection stayed open after revoking")
	}
	select {
	case err := <-s.viewerServed:
		if err != nil {
			t.Errorf("the viewer's relay ended with %v, want nil (no refused message)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the viewer's relay did not end")
	}
	owner.updated(t, "the owner, after the viewer was cut off")

	// The control: the same input, sent the same way but not through the
	// filter, does reach the desktop: typing, pasting and resizing.
	ctl := s.watch(s.dial(s.ownerFront, false))
	send(t, "the control",
		ctl.c.Click(termX, termY),
		ctl.c.TypeString("touch /workspace/control\n"),
		ctl.c.Paste("touch /workspace/control-paste\n"),
		ctl.c.SetDesktopSize(1024, 768))
	if !d.waitFile(t, "control", 20*time.Second) {
		t.Fatal("control: typing without the filter did not run the command")
	}
	ctl.updated(t, "the control")
	s.middlePaste("control-paste")
	s.waitSize(1024, 768)
}
