package images

import (
	"strings"
	"testing"
	"time"
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

// A long apt-get install shows its progress, a line every few seconds at
// most, and a step that runs silently says so every tickEvery.
func TestBuildProgress(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	var out strings.Builder
	p := newBuildProgress(&out, "desktop", func() time.Time { return now })
	at := func(d time.Duration, lines ...string) {
		now = t0.Add(d)
		for _, l := range lines {
			p.line(l)
		}
	}
	at(14 * time.Second)
	p.tick() // nothing shown for 14 s: not yet
	at(15 * time.Second)
	p.tick()
	t0 = t0.Add(15 * time.Second)
	at(0, "Step 2/5 : RUN apt-get update && apt-get install -y xterm mousepad",
		" ---> Running in 0123456789ab")
	at(time.Second, "Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]") // too soon
	at(6*time.Second, "Get:2 http://deb.debian.org/debian bookworm/main amd64 Packages [8792 kB]",
		"Reading package lists...",
		"The following NEW packages will be installed:",
		"  xterm mousepad libgtk-3-0",
		"0 upgraded, 3 newly installed, 0 to remove and 0 not upgraded.")
	at(7*time.Second, "Get:1 http://deb.debian.org/debian bookworm/main amd64 xterm amd64 379-1 [1088 kB]") // too soon
	at(12*time.Second, "Get:2 http://deb.debian.org/debian bookworm/main amd64 mousepad amd64 0.5.10-1 [620 kB]")
	at(13*time.Second, "debconf: delaying package configuration, since apt-utils is not installed",
		"Selecting previously unselected package xterm.",
		"Preparing to unpack .../xterm_379-1_amd64.deb ...",
		"Unpacking xterm (379-1) ...") // too soon
	p.tick() // shown 1 s ago
	at(30*time.Second, "Unpacking mousepad (0.5.10-1) ...")
	at(31*time.Second, "Unpacking libgtk-3-0:amd64 (3.24.38-2) ...") // too soon
	at(50 * time.Second)
	p.tick() // nothing shown for 20 s
	at(51 * time.Second)
	p.tick()
	at(56*time.Second, "Setting up xterm (379-1) ...")
	at(57*time.Second, "Setting up mousepad (0.5.10-1) ...") // too soon
	at(80*time.Second, "Step 3/5 : COPY x /x")
	at(81*time.Second, "Successfully built 0123456789ab")

	want := []string{
		"desktop: still running, for 15 seconds",
		"desktop: Step 2/5 : RUN apt-get update && apt-get install -y xterm mousepad",
		"desktop: updating the package lists",
		"desktop: installing 3 packages",
		"desktop: downloading packages: 2/3",
		"desktop: installing packages: 2/3 (Unpacking mousepad)",
		"desktop: Step 2/5 still running, for 50 seconds",
		"desktop: configuring packages: 1/3 (Setting up xterm)",
		"desktop: Step 3/5 : COPY x /x",
		"desktop: Successfully built 0123456789ab",
	}
	if got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("shown:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
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
