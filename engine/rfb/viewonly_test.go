package rfb_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/rfb"
)

// splitter cuts a stream into the chunks one Filter call each gets.
type splitter struct {
	name string
	cut  func(p []byte) [][]byte
}

func splitters() []splitter {
	s := []splitter{
		{"one piece", func(p []byte) [][]byte { return [][]byte{p} }},
		{"byte by byte", func(p []byte) [][]byte {
			var out [][]byte
			for i := range p {
				out = append(out, p[i:i+1])
			}
			return out
		}},
	}
	for seed := range uint64(8) {
		s = append(s, splitter{"random splits " + string(rune('a'+seed)), func(p []byte) [][]byte {
			return randomChunks(p, seed)
		}})
	}
	return s
}

// randomChunks cuts p at random places, sometimes in long pieces.
func randomChunks(p []byte, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	var out [][]byte
	for len(p) > 0 {
		n := 1 + rng.IntN(7)
		if rng.IntN(4) == 0 {
			n = 1 + rng.IntN(64)
		}
		n = min(n, len(p))
		out = append(out, p[:n])
		p = p[n:]
	}
	return out
}

// feed runs f on each chunk (a copy, which Filter may return) and gathers
// the output, stopping at the first error.
func feed(f *rfb.Filter, chunks [][]byte) ([]byte, error) {
	var got []byte
	for _, c := range chunks {
		out, err := f.Filter(bytes.Clone(c))
		if err != nil {
			return got, err
		}
		got = append(got, out...)
	}
	return got, nil
}

func TestViewOnlyMessages(t *testing.T) {
	msgs := allMessages()
	for _, m := range msgs {
		t.Run(m.name, func(t *testing.T) {
			// The message between two that pass: the filter must find the
			// second one's start.
			in := cat(hs38(1), updateRequest(0), m.raw, updateRequest(1))
			want := cat(hs38(1), updateRequest(0), updateRequest(1))
			if m.forward {
				want = cat(hs38(1), updateRequest(0), m.raw, updateRequest(1))
			}
			for _, s := range splitters() {
				got, err := feed(rfb.NewViewOnly(), s.cut(in))
				if err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s: forwarded\n%x\nwant\n%x", s.name, got, want)
				}
			}
		})
	}
	t.Run("all, in a row", func(t *testing.T) {
		in, want := hs38(0), hs38(1)
		for range 3 {
			for _, m := range msgs {
				in = append(in, m.raw...)
				if m.forward {
					want = append(want, m.raw...)
				}
			}
		}
		for _, s := range splitters() {
			got, err := feed(rfb.NewViewOnly(), s.cut(in))
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: forwarded %d bytes, want %d", s.name, len(got), len(want))
			}
			if bytes.Contains(got, be32(marker)) {
				t.Fatalf("%s: a piece of a dropped message was forwarded", s.name)
			}
			if r := refParse(got, -1); r.err || len(r.tail) > 0 {
				t.Fatalf("%s: the output does not parse: %+v", s.name, r)
			} else {
				for _, m := range r.msgs {
					if !bytes.Contains(refForwarded, []byte{m.typ}) {
						t.Fatalf("%s: message type %d forwarded", s.name, m.typ)
					}
				}
			}
		}
	})
}

func TestViewOnlyHandshakes(t *testing.T) {
	tests := []struct {
		name   string
		server [][]byte // shown with ObserveServer: [0] before the client's bytes, [1] after its version
		client []byte
		want   []byte
		err    string // a part of the error; "" for none
	}{
		{name: "3.8 None", client: hs38(1), want: hs38(1)},
		{name: "3.8 None exclusive becomes shared", client: hs38(0), want: hs38(1)},
		{name: "3.8 None odd shared flag", client: hs38(0x80), want: hs38(1)},
		{name: "3.7 None", client: hs37(0), want: hs37(1)},
		{name: "3.8 VNC auth", client: hs38Auth(0), want: hs38Auth(1)},
		{name: "3.7 VNC auth", client: cat([]byte(rfb.Version37), []byte{2}, bytes.Repeat([]byte{1}, 16), []byte{0}),
			want: cat([]byte(rfb.Version37), []byte{2}, bytes.Repeat([]byte{1}, 16), []byte{1})},
		{name: "3.8 observed", server: [][]byte{[]byte(rfb.Version38), {1, 1}}, client: hs38(0), want: hs38(1)},
		{name: "3.3 None", server: [][]byte{[]byte(rfb.Version38), be32(1)},
			client: cat([]byte(rfb.Version33), []byte{0}), want: cat([]byte(rfb.Version33), []byte{1})},
		{name: "3.3 VNC auth", server: [][]byte{[]byte(rfb.Version33), be32(2)},
			client: cat([]byte(rfb.Version33), bytes.Repeat([]byte{0}, 16), []byte{0}),
			want:   cat([]byte(rfb.Version33), bytes.Repeat([]byte{0}, 16), []byte{1})},
		{name: "3.3 not observed", client: cat([]byte(rfb.Version33), []byte{1}), err: "before the server's security type"},
		{name: "3.3 server refuses", server: [][]byte{[]byte(rfb.Version33), be32(0)},
			client: cat([]byte(rfb.Version33), []byte{1}), err: "server refused"},
		{name: "3.3 server chooses another type", server: [][]byte{[]byte(rfb.Version33), be32(16)},
			client: cat([]byte(rfb.Version33), []byte{1}), err: "security type 16"},
		{name: "server speaks before the client's version", server: [][]byte{cat([]byte(rfb.Version33), be32(1))},
			client: []byte(rfb.Version33), err: "before the client's protocol version"},
		{name: "version 3.5", client: []byte("RFB 003.005\n"), err: "protocol version"},
		{name: "version 3.889", client: []byte("RFB 003.889\n"), err: "protocol version"},
		{name: "version 4.0", client: []byte("RFB 004.000\n"), err: "protocol version"},
		{name: "not RFB", client: []byte("GET / HTTP/1.1\r\n"), err: "protocol version"},
		{name: "security type 0", client: cat([]byte(rfb.Version38), []byte{0}), err: "security type 0"},
		{name: "security Tight", client: cat([]byte(rfb.Version38), []byte{16}), err: "security type 16"},
		{name: "security VeNCrypt", client: cat([]byte(rfb.Version38), []byte{19}), err: "security type 19"},
		{name: "short version is held", client: []byte("RFB 003.00"), want: nil},
		{name: "VNC auth response in progress", client: cat([]byte(rfb.Version38), []byte{2}, make([]byte, 5)),
			want: cat([]byte(rfb.Version38), []byte{2}, make([]byte, 5))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range splitters() {
				f := rfb.NewViewOnly()
				var got []byte
				var err error
				if len(tt.server) > 0 {
					err = f.ObserveServer(tt.server[0])
				}
				chunks := s.cut(tt.client)
				if len(tt.server) > 1 && err == nil {
					// The server answers the client's version: show it its
					// answer once the version has gone through.
					var version []byte
					version, err = feed(f, s.cut(tt.client[:min(12, len(tt.client))]))
					got = version
					if err == nil {
						err = f.ObserveServer(tt.server[1])
					}
					chunks = s.cut(tt.client[min(12, len(tt.client)):])
				}
				if err == nil {
					var more []byte
					more, err = feed(f, chunks)
					got = append(got, more...)
				}
				if tt.err != "" {
					if err == nil || !strings.Contains(err.Error(), tt.err) {
						t.Fatalf("%s: error %v, want one saying %q", s.name, err, tt.err)
					}
					if !errors.Is(err, rfb.ErrClosed) {
						t.Fatalf("%s: error %v is not ErrClosed", s.name, err)
					}
					if _, again := f.Filter([]byte{3}); again == nil {
						t.Fatalf("%s: the filter took more after its error", s.name)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				if !bytes.Equal(got, tt.want) {
					t.Fatalf("%s: forwarded %q, want %q", s.name, got, tt.want)
				}
			}
		})
	}
}

func TestViewOnlyRefuses(t *testing.T) {
	tests := []struct {
		name string
		msg  []byte
		err  string
	}{
		{"message type 1", []byte{1, 0, 0, 0}, "type 1"},
		{"FileTransfer (7)", []byte{7, 0, 0, 0}, "type 7"},
		{"KeepAlive (13)", []byte{13}, "type 13"},
		{"VMware (127)", []byte{127, 0}, "type 127"},
		{"tight (252)", []byte{252, 0}, "type 252"},
		{"gii (253)", []byte{253, 1, 0, 2}, "type 253"},
		{"VMware (254)", []byte{254, 0}, "type 254"},
		{"fence payload over 64 bytes", cat([]byte{248, 0, 0, 0}, be32(0), []byte{65}), "fence payload"},
		{"cut text over the limit", cat([]byte{6, 0, 0, 0}, be32(rfb.MaxCutText+1)), "cut text"},
		{"extended cut text over the limit", cat([]byte{6, 0, 0, 0}, be32(negative(rfb.MaxCutText+1))), "cut text"},
		{"cut text of length -2^31", cat([]byte{6, 0, 0, 0}, be32(1<<31)), "cut text"},
		{"QEMU submessage 2", []byte{255, 2, 0, 0}, "submessage 2"},
		{"QEMU audio operation 3", []byte{255, 1, 0, 3}, "audio operation 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := cat(hs38(1), updateRequest(0), tt.msg, updateRequest(1))
			for _, s := range splitters() {
				got, err := feed(rfb.NewViewOnly(), s.cut(in))
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("%s: error %v, want one saying %q", s.name, err, tt.err)
				}
				if want := cat(hs38(1), updateRequest(0), tt.msg); !bytes.HasPrefix(want, got) || len(got) > len(hs38(1))+10+8 {
					t.Fatalf("%s: forwarded %x", s.name, got)
				}
			}
		})
	}
	t.Run("a cut text at the limit is dropped", func(t *testing.T) {
		text := bytes.Repeat([]byte{'x'}, rfb.MaxCutText)
		in := cat(hs38(1), []byte{6, 0, 0, 0}, be32(rfb.MaxCutText), text, updateRequest(1))
		got, err := feed(rfb.NewViewOnly(), [][]byte{in[:100], in[100 : 1<<20], in[1<<20:]})
		if err != nil || !bytes.Equal(got, cat(hs38(1), updateRequest(1))) {
			t.Fatalf("forwarded %d bytes, %v", len(got), err)
		}
	})
}

// TestViewOnlyNoCopy checks that a stream forwarded whole costs no
// allocation: the filter returns its input.
func TestViewOnlyNoCopy(t *testing.T) {
	f := rfb.NewViewOnly()
	if _, err := f.Filter(hs38(1)); err != nil {
		t.Fatal(err)
	}
	in := cat(updateRequest(1), updateRequest(1), setEncodings(0, 1, 2))
	allocs := testing.AllocsPerRun(100, func() {
		out, err := f.Filter(in)
		if err != nil || len(out) != len(in) || &out[0] != &in[0] {
			t.Fatalf("forwarded %x, %v", out, err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations a call, want 0", allocs)
	}
}

// TestViewOnlyConcurrent runs both directions at once, as a relay does,
// in the protocol's order: the server's version, the client's, then both
// sides at will (a server that says more before the client's version is
// refused, and a goroutine free to run ahead of the client made this test
// fail now and then).
func TestViewOnlyConcurrent(t *testing.T) {
	f := rfb.NewViewOnly()
	if err := f.ObserveServer([]byte("RFB 003.008\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Filter(hs38(1)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		var err error
		for i := 0; i < 1000 && err == nil; i++ {
			err = f.ObserveServer([]byte("\x01\x01"))
		}
		done <- err
	}()
	for range 1000 {
		if _, err := f.Filter(updateRequest(1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func BenchmarkViewOnly(b *testing.B) {
	var stream []byte
	for range 100 {
		stream = append(stream, cat(updateRequest(1), pointerEvent(0, 10, 10), keyEvent(1, 'a'), fence("x"))...)
	}
	f := rfb.NewViewOnly()
	if _, err := f.Filter(hs38(1)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		if _, err := f.Filter(stream); err != nil {
			b.Fatal(err)
		}
	}
}

// negative is -n as a U32 on the wire.
func negative(n int32) uint32 { return uint32(-n) }
