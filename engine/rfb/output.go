package rfb

// output gathers what one Filter call forwards. While what is kept is a
// prefix of the input, it is that prefix (no copy); the first gap or
// changed byte copies it out.
type output struct {
	in     []byte
	n      int  // in[:n] is the output while !copied
	copied bool // out holds the output
	out    []byte
}

// keep forwards in[i:j].
func (o *output) keep(i, j int) {
	if i == j {
		return
	}
	if !o.copied && i == o.n {
		o.n = j
		return
	}
	o.copyOut()
	o.out = append(o.out, o.in[i:j]...)
}

// put forwards bytes that are not (or not as such) in the input.
func (o *output) put(b ...byte) {
	o.copyOut()
	o.out = append(o.out, b...)
}

func (o *output) copyOut() {
	if !o.copied {
		o.out = append(make([]byte, 0, len(o.in)+12), o.in[:o.n]...)
		o.copied = true
	}
}

func (o *output) bytes() []byte {
	if o.copied {
		return o.out
	}
	return o.in[:o.n]
}
