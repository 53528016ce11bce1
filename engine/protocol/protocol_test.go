package protocol

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/png"
	"reflect"
	"strings"
	"testing"
)

func pngIcon(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 128, 128))); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func TestParseImage(t *testing.T) {
	icon := pngIcon(t)
	full := map[string]string{
		LabelUIName: "Desktop", LabelIcon128: icon, LabelDescription: "A desktop", LabelType: TypeVNC,
		LabelEnvPrefix + "x11-width": "", LabelEnvPrefix + "x11-height": "", LabelEnvPrefix + "x11-depth": "",
		LabelEnvPrefix + "startupdata": "", "org.other": "x",
	}
	img, err := ParseImage("lab/desktop:1", "sha256:abc", full)
	if err != nil {
		t.Fatal(err)
	}
	want := Image{Name: "lab/desktop:1", ID: "sha256:abc", UIName: "Desktop", Icon128: icon, Description: "A desktop",
		Type: TypeVNC, Env: []string{"STARTUPDATA", "X11_DEPTH", "X11_HEIGHT", "X11_WIDTH"}}
	if !reflect.DeepEqual(img, want) {
		t.Errorf("ParseImage = %+v, want %+v", img, want)
	}
	if got := img.Configurables(); !reflect.DeepEqual(got, []string{ConfigResolution, ConfigStartupData}) {
		t.Errorf("Configurables = %v", got)
	}

	// Missing labels are tolerated.
	img, err = ParseImage("plain", "sha256:def", nil)
	if err != nil || img.Type != "" || img.Configurables() != nil {
		t.Errorf("ParseImage(no labels) = %+v, %v", img, err)
	}
	// Resolution needs all three X11 variables.
	img, _ = ParseImage("x", "y", map[string]string{LabelEnvPrefix + "x11-width": "", LabelEnvPrefix + "x11-height": ""})
	if img.Configurables() != nil {
		t.Errorf("Configurables with two of three X11 vars = %v", img.Configurables())
	}

	for _, bad := range []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{LabelType: "desktop"}, `label eu.simphony-project.docker.type is "desktop"`},
		{map[string]string{LabelIcon128: "!!!"}, "icon_128: not base64"},
		{map[string]string{LabelIcon128: base64.StdEncoding.EncodeToString([]byte("GIF89a"))}, "not a PNG image"},
		{map[string]string{LabelEnvPrefix + "X11_WIDTH": ""}, "may only hold a-z, 0-9 and '-'"},
		{map[string]string{LabelEnvPrefix + "": ""}, "empty environment variable name"},
		{map[string]string{LabelEnvPrefix + "1x": ""}, "starts with a digit"},
	} {
		if _, err := ParseImage("bad", "id", bad.labels); err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), "image bad") {
			t.Errorf("ParseImage(%v) = %v, want an error containing %q", bad.labels, err, bad.want)
		}
	}
}

func TestHasProtocol(t *testing.T) {
	if HasProtocol(map[string]string{"org.x": "1"}) || HasProtocol(map[string]string{LabelUser: "a"}) {
		t.Error("HasProtocol true without image labels")
	}
	if !HasProtocol(map[string]string{LabelType: TypeWeb}) {
		t.Error("HasProtocol false with a type label")
	}
}

func TestNames(t *testing.T) {
	if got := URLPath("alice", "0123"); got != "/user/alice/containers/0123/" {
		t.Errorf("URLPath = %q", got)
	}
	for in, want := range map[string]string{"alice": "alice", "alice@lab.org": "alice_40lab.org", "a_b": "a_5fb", "Ü": "_c3_9c"} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"alice": "alice", "alice@lab.org": "alice", "bob.smith": "bob_smith", "7up": "u7up",
		"-x": "_x", "@lab": "user", strings.Repeat("a", 40): strings.Repeat("a", 32),
	} {
		if got := UnixUser(in); got != want {
			t.Errorf("UnixUser(%q) = %q, want %q", in, got, want)
		}
	}
}
