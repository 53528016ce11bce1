package rfb_test

import (
	"bytes"
	"testing"

	"github.com/simphony/simphony-remote/engine/rfb"
)

// fuzzModes are the handshakes the fuzz target puts before its data; mode
// 0 puts none, so that the handshake itself is fuzzed.
var fuzzModes = []struct {
	client   []byte // sent before the data
	server33 int    // 3.3: the security type the server chooses; -1 otherwise
}{
	{nil, -1},
	{[]byte(rfb.Version38 + "\x01"), -1},
	{cat([]byte(rfb.Version38+"\x02"), bytes.Repeat([]byte{7}, 16)), -1},
	{[]byte(rfb.Version37 + "\x01"), -1},
	{[]byte(rfb.Version33), 1},
	{[]byte(rfb.Version33), 2},
}

func FuzzViewOnly(f *testing.F) {
	var every []byte
	for _, m := range allMessages() {
		every = append(every, m.raw...)
	}
	f.Add(byte(0), uint64(1), cat(hs38(0), every))
	f.Add(byte(0), uint64(2), cat(hs38Auth(0), every))
	f.Add(byte(0), uint64(3), []byte(rfb.Version33+"\x01"))
	f.Add(byte(1), uint64(4), cat([]byte{0}, every))
	f.Add(byte(2), uint64(5), cat([]byte{1}, keyEvent(1, 'a'), fence("abc")))
	f.Add(byte(3), uint64(6), cat([]byte{0}, every, every))
	f.Add(byte(4), uint64(7), cat([]byte{0}, every))
	f.Add(byte(5), uint64(8), cat(make([]byte, 16), []byte{0}, every))
	f.Add(byte(1), uint64(9), cat([]byte{1}, []byte{248, 0, 0, 0, 0, 0, 0, 0, 65}))
	f.Add(byte(1), uint64(10), cat([]byte{1}, []byte{6, 0, 0, 0, 0x80, 0, 0, 0}))
	f.Add(byte(1), uint64(11), cat([]byte{1}, []byte{255, 1, 0, 2, 3, 2, 0, 0}))

	f.Fuzz(func(t *testing.T, mode byte, seed uint64, data []byte) {
		m := fuzzModes[int(mode)%len(fuzzModes)]
		in := cat(m.client, data)
		flt := rfb.NewViewOnly()

		// Feed it as a relay would: with 3.3, the server's security type
		// is seen after the client's version and before the rest.
		var got []byte
		var err error
		rest := in
		if m.server33 >= 0 {
			if err = flt.ObserveServer([]byte(rfb.Version38)); err != nil {
				t.Fatalf("observing the server's version: %v", err)
			}
			got, err = flt.Filter(bytes.Clone(in[:12]))
			if err != nil {
				t.Fatalf("the 3.3 version: %v", err)
			}
			got = bytes.Clone(got)
			if err = flt.ObserveServer(be32(uint32(m.server33))); err != nil {
				t.Fatalf("observing the security type: %v", err)
			}
			rest = in[12:]
		}
		more, err := feed(flt, randomChunks(rest, seed))
		got = append(got, more...)

		ref := refParse(in, m.server33)
		full := cat(ref.want, ref.tail)
		switch {
		case err != nil && !ref.err:
			t.Fatalf("refused a stream the reference accepts: %v", err)
		case err == nil && ref.err:
			t.Fatalf("accepted a stream the reference refuses")
		case err == nil && !bytes.Equal(got, full):
			t.Fatalf("forwarded\n%x\nwant\n%x", got, full)
		case err != nil && !bytes.HasPrefix(full, got):
			t.Fatalf("forwarded\n%x\nwhich does not start\n%x", got, full)
		}

		// What was forwarded holds only messages a viewer may send.
		out := refParse(got, m.server33)
		if out.err {
			t.Fatalf("the output does not parse: %x", got)
		}
		for _, msg := range out.msgs {
			if bytes.Contains(refDropped, []byte{msg.typ}) {
				t.Fatalf("forwarded a message of type %d: %x", msg.typ, msg.raw)
			}
		}
		if out.partial >= 0 && bytes.Contains(refDropped, []byte{byte(out.partial)}) {
			t.Fatalf("forwarded the start of a message of type %d", out.partial)
		}
	})
}
