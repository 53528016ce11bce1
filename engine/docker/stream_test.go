package docker

import (
	"io"
	"runtime"
	"strings"
	"testing"
)

// chattyBuild is a build's answer stream of n lines of output, each a
// message of its own, generated as it is read. Every mark bytes it notes
// the heap in use after a collection, so that the test sees what the
// reader holds while it reads.
type chattyBuild struct {
	n, sent  int
	pending  string
	read     int
	mark     int
	heapPeak uint64
}

func (c *chattyBuild) Read(p []byte) (int, error) {
	if c.pending == "" {
		if c.sent == c.n {
			return 0, io.EOF
		}
		c.sent++
		c.pending = `{"stream":"` + strings.Repeat("x", 1000) + `\n"}` + "\n"
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	c.read += n
	if c.read >= c.mark {
		c.mark += 8 << 20
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		c.heapPeak = max(c.heapPeak, ms.HeapAlloc)
	}
	return n, nil
}

// A build's output is kept only as far as it is shown (its end): reading
// 64 MiB of it holds a few MiB at the most, not all of it.
func TestReadStreamKeepsOnlyTheEnd(t *testing.T) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	c := &chattyBuild{n: 64 << 10, mark: 8 << 20}
	text, err := readStream(c, 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if len(text) > 64<<10+len("…") || !strings.HasSuffix(text, "x\n") {
		t.Errorf("kept %d bytes ending %q; want the last 64 KiB", len(text), text[max(0, len(text)-10):])
	}
	if grew := int64(c.heapPeak) - int64(before.HeapAlloc); grew > 16<<20 {
		t.Errorf("reading 64 MiB of build output held %d MiB at once", grew>>20)
	}
}
