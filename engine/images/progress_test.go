package images

import (
	"strings"
	"testing"
)

func TestReadBuild(t *testing.T) {
	tests := []struct {
		name, stream string
		shown        []string
		hidden       []string
		err          string
	}{
		{
			name: "success",
			stream: `{"stream":"Step 1/2 : FROM scratch\n"}
{"stream":" ---\u003e Running in 0123\n"}
{"stream":"Get:1 http://deb.debian.org/debian bookworm InRelease\n"}
{"stream":"Step 2/2 : COPY x /x\n"}
{"aux":{"ID":"sha256:abc"}}
{"stream":"Successfully built abc\n"}`,
			shown:  []string{"files: Step 1/2 : FROM scratch", "files: Step 2/2 : COPY x /x", "files: Successfully built abc"},
			hidden: []string{"Running in", "Get:1"},
		},
		{
			name: "failure",
			stream: `{"stream":"Step 1/1 : RUN apt-get install nope\n"}
{"stream":"E: Unable to locate package nope\n"}
{"errorDetail":{"code":100,"message":"The command returned a non-zero code: 100"},"error":"The command returned a non-zero code: 100"}`,
			shown: []string{"files: E: Unable to locate package nope"},
			err:   "The command returned a non-zero code: 100; the build's last output:\n  Step 1/1 : RUN apt-get install nope\n  E: Unable to locate package nope",
		},
		{name: "garbage", stream: `{"stream":`, err: "reading the build's output"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			err := readBuild(strings.NewReader(tt.stream), &out, "files")
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("error %v, want %q", err, tt.err)
			}
			for _, s := range tt.shown {
				if !strings.Contains(out.String(), s+"\n") {
					t.Errorf("output lacks %q:\n%s", s, out.String())
				}
			}
			for _, s := range tt.hidden {
				if strings.Contains(out.String(), s) {
					t.Errorf("output shows %q:\n%s", s, out.String())
				}
			}
		})
	}
}

func TestDebootstrapStep(t *testing.T) {
	for line, want := range map[string]bool{
		"I: Retrieving InRelease":                false,
		"I: Extracting adduser...":               false,
		"I: Installing core packages...":         true,
		"I: Base system installed successfully.": true,
		"E: Couldn't download packages":          true,
		"W: Failure trying to run: chroot":       true,
		"dpkg: warning: something":               false,
	} {
		if got := debootstrapStep(line); got != want {
			t.Errorf("%q: %v, want %v", line, got, want)
		}
	}
}

func TestLineWriter(t *testing.T) {
	var got []string
	lw := &lineWriter{fn: func(s string) { got = append(got, s) }}
	_, _ = lw.Write([]byte("one\r\ntw"))
	_, _ = lw.Write([]byte("o\nthree"))
	lw.Flush()
	if strings.Join(got, "|") != "one|two|three" {
		t.Errorf("got %q", got)
	}
}

func TestUnescapeMount(t *testing.T) {
	if got := unescapeMount(`/tmp/a\040b/proc`); got != "/tmp/a b/proc" {
		t.Errorf("got %q", got)
	}
}
