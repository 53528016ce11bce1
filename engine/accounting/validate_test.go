package accounting

import (
	"errors"
	"path"
	"strings"
	"testing"
)

func TestValidateUserName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr string // substring of the message; empty means valid
	}{
		{"alice", ""},
		{"a", ""},
		{"bob.smith", ""},
		{"bob_smith-2", ""},
		{"carol@lab.example", ""},
		{"7up", ""},
		{strings.Repeat("a", 64), ""},
		{"", "it is empty"},
		{strings.Repeat("a", 65), "65 bytes long, the limit is 64"},
		{"Alice", "upper-case letter 'A'"},
		{"al/ice", "path separator '/'"},
		{`al\ice`, `path separator '\\'`},
		{"al\nice", "control character U+000A"},
		{"al\x00ice", "control character U+0000"},
		{".alice", "starts with '.'"},
		{"..", "starts with '.'"},
		{"-rf", "starts with '-'"},
		{"al ice", "character ' ' at byte 2 is not allowed"},
		{"élodie", "starts with 'é'"},
		{"al\xffice", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateUserName(tt.name)
			checkInvalid(t, err, tt.wantErr)
		})
	}
}

func TestValidateImage(t *testing.T) {
	tests := []struct {
		image   string
		wantErr string
	}{
		{"img", ""},
		{"ubuntu:24.04", ""},
		{"simphony/desktop:1.0", ""},
		{"registry.lab:5000/team/app:v2", ""},
		{"app@sha256:" + strings.Repeat("a", 64), ""},
		{"", "it is empty"},
		{" img", "white space"},
		{"Img", "not a Docker image reference"},
		{"img:", "not a Docker image reference"},
		{"img::tag", "not a Docker image reference"},
		{"../etc", "not a Docker image reference"},
		{strings.Repeat("a", 64), "not a Docker image reference"},
		{strings.Repeat("a", 513), "limit is 512"},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			checkInvalid(t, ValidateImage(tt.image), tt.wantErr)
		})
	}
}

func TestParseVolume(t *testing.T) {
	tests := []struct {
		in      string
		want    Volume
		wantErr string
	}{
		{"/data:/data:ro", Volume{"/data", "/data", "ro"}, ""},
		{"/srv/shared/:/mnt/shared:rw", Volume{"/srv/shared", "/mnt/shared", "rw"}, ""},
		{"/home/lab//data:/data:ro", Volume{"/home/lab/data", "/data", "ro"}, ""},
		{"/var/data:/data:ro", Volume{"/var/data", "/data", "ro"}, ""},
		{"", Volume{}, "want SOURCE:TARGET:MODE"},
		{"::", Volume{}, "source is empty"},
		{"/data:/data", Volume{}, "want SOURCE:TARGET:MODE"},
		{"/data:/data:ro:x", Volume{}, "want SOURCE:TARGET:MODE"},
		{"data:/data:ro", Volume{}, `source "data" is not an absolute path`},
		{"/data:data:ro", Volume{}, `target "data" is not an absolute path`},
		{":/data:ro", Volume{}, "source is empty"},
		{"/data::ro", Volume{}, "target is empty"},
		{"/data:/data:RW", Volume{}, `mode "RW" must be ro or rw`},
		{"/data:/data:", Volume{}, `mode "" must be ro or rw`},
		// Which host directories may be mounted is the volumes package's
		// allowlist, checked on the host: here any absolute source parses.
		{"/etc:/etc2:ro", Volume{"/etc", "/etc2", "ro"}, ""},
		{"/:/host:ro", Volume{"/", "/host", "ro"}, ""},
		{"/data:/proc:ro", Volume{}, "target /proc is a kernel file system"},
		{"/data:/proc/sys/x:ro", Volume{}, "target /proc/sys/x is inside /proc"},
		{"/data:/sys/:ro", Volume{}, "target /sys is a kernel file system"},
		{"/data:/dev:ro", Volume{}, "target /dev is a kernel file system"},
		{"/data:/dev/shm:rw", Volume{}, "target /dev/shm is inside /dev"},
		{"/data:/devices:rw", Volume{"/data", "/devices", "rw"}, ""},
		{"/data:/processing:rw", Volume{"/data", "/processing", "rw"}, ""},
		{"/data/../etc:/d:ro", Volume{}, "'..' component"},
		{"/data:/d/../x:ro", Volume{}, "'..' component"},
		{"/data:/:ro", Volume{}, "target / would hide"},
		{"/da\nta:/d:ro", Volume{}, "control character U+000A"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseVolume(tt.in)
			checkInvalid(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("ParseVolume(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name    string
		p       Policy
		wantErr string
	}{
		{"zero", Policy{}, ""},
		{"all", Policy{AppLicense: "LIC-1", AllowHome: true, AllowView: true, Volume: Volume{"/data", "/data", "ro"}, AllowStartupData: true}, ""},
		{"home clash", Policy{AllowHome: true, Volume: Volume{"/data", "/workspace/", "rw"}}, "target /workspace is where the home"},
		{"no home, workspace target", Policy{Volume: Volume{"/data", "/workspace", "rw"}}, ""},
		{"half volume", Policy{Volume: Volume{Mode: "ro"}}, "source is empty"},
		{"licence NUL", Policy{AppLicense: "a\x00b"}, "NUL byte"},
		{"licence long", Policy{AppLicense: strings.Repeat("x", MaxAppLicenseLen+1)}, "the limit is 4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkInvalid(t, tt.p.Validate(), tt.wantErr)
		})
	}
}

func TestMappingID(t *testing.T) {
	a, b := NewMappingID(), NewMappingID()
	if !IsMappingID(a) || !IsMappingID(b) {
		t.Fatalf("NewMappingID() = %q, %q: not 32 lowercase hex digits", a, b)
	}
	if a == b {
		t.Fatalf("two NewMappingID() calls returned the same id %q", a)
	}
	for _, bad := range []string{"", "abc", strings.ToUpper(a), a + "0", a[:31] + "g"} {
		if IsMappingID(bad) {
			t.Errorf("IsMappingID(%q) = true, want false", bad)
		}
	}
}

func checkInvalid(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("error %v does not match ErrInvalid", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

func FuzzValidateUserName(f *testing.F) {
	for _, s := range []string{"alice", "", "Al/ice", "a@b.c", "..", "\x00", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateUserName(name)
		if err == nil {
			// Accepted names are safe as one path component and URL segment.
			if name == "" || len(name) > MaxUserNameLen || strings.ContainsAny(name, "/\\:?#%\x00 ") ||
				name == "." || name == ".." || strings.ToLower(name) != name {
				t.Fatalf("accepted unsafe user name %q", name)
			}
			return
		}
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "user name") {
			t.Fatalf("error %v does not name the rule", err)
		}
	})
}

func FuzzValidateImage(f *testing.F) {
	for _, s := range []string{"img", "a/b:c", "Img", "", "r:5000/x@sha256:" + strings.Repeat("0", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, image string) {
		err := ValidateImage(image)
		if err == nil {
			if image == "" || strings.ContainsAny(image, " \t\n\x00") {
				t.Fatalf("accepted bad image %q", image)
			}
			return
		}
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v is not ErrInvalid", err)
		}
	})
}

func FuzzParseVolume(f *testing.F) {
	for _, s := range []string{"/data:/data:ro", "/:/:rw", "/var:/v:ro", "a:b:c", "/x/../etc:/y:ro", "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVolume(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if v.Source != path.Clean(v.Source) || v.Target != path.Clean(v.Target) {
			t.Fatalf("ParseVolume(%q) = %+v: paths not clean", s, v)
		}
		if hasDotDot(v.Source) || hasDotDot(v.Target) {
			t.Fatalf("ParseVolume(%q) accepted a '..' in %+v", s, v)
		}
		for _, k := range kernelTargets {
			if v.Target == "/" || within(v.Target, k) {
				t.Fatalf("ParseVolume(%q) accepted target %q", s, v.Target)
			}
		}
		// What is accepted parses again to the same value.
		again, err := ParseVolume(v.String())
		if err != nil || again != v {
			t.Fatalf("round trip of %q: %+v, %v", v.String(), again, err)
		}
	})
}

func hasDotDot(p string) bool {
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return true
		}
	}
	return false
}
