package accounting

import (
	"slices"
	"testing"
)

func TestSameImage(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"simphony-remote/desktop", "simphony-remote/desktop:latest", true},
		{"simphony-remote/desktop", "docker.io/simphony-remote/desktop", true},
		{"simphony-remote/desktop:latest", "docker.io/simphony-remote/desktop:latest", true},
		{"x", "docker.io/library/x", true},
		{"x", "docker.io/library/x:latest", true},
		{"x:latest", "library/x", true},
		{"x", "index.docker.io/library/x", true}, // Docker's legacy name of its registry
		{"x", "x:1.0", false},
		{"x:1.0", "docker.io/library/x:1.0", true},
		{"x", "y", false},
		{"lab/x", "x", false},
		{"registry.lab:5000/x", "registry.lab:5000/x:latest", true},
		{"registry.lab:5000/x", "x", false},
		{"x@sha256:" + sha, "x", false},
		{"x@sha256:" + sha, "docker.io/library/x@sha256:" + sha, true},
		{"Not An Image", "Not An Image", true},
		{"Not An Image", "not an image", false},
	}
	for _, tt := range tests {
		if got := SameImage(tt.a, tt.b); got != tt.same {
			t.Errorf("SameImage(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
		if got := SameImage(tt.b, tt.a); got != tt.same {
			t.Errorf("SameImage(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.same)
		}
	}
}

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestFindImage(t *testing.T) {
	names := []string{"docker.io/lab/tool", "lab/tool:latest", "x", "y:2"}
	tests := []struct {
		image, want string
		ok          bool
	}{
		{"lab/tool:latest", "lab/tool:latest", true}, // the same spelling first
		{"lab/tool", "docker.io/lab/tool", true},     // else the first of the same image
		{"docker.io/library/x:latest", "x", true},
		{"y:2", "y:2", true},
		{"docker.io/library/y:2", "y:2", true},
		{"y", "", false},
		{"z", "", false},
	}
	for _, tt := range tests {
		got, ok := FindImage(tt.image, slices.Values(names))
		if got != tt.want || ok != tt.ok {
			t.Errorf("FindImage(%q) = %q, %v; want %q, %v", tt.image, got, ok, tt.want, tt.ok)
		}
	}
}
