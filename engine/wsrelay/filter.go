package wsrelay

// Filter rewrites the messages one client sends upstream. A relay calls it
// on each client message in order, from one goroutine; a Filter is
// stateful and belongs to one connection.
type Filter interface {
	// Filter returns what to send upstream for msg: an empty result
	// sends nothing for it; an error closes both sides with a policy
	// violation. The result may share msg's memory.
	Filter(msg []byte) ([]byte, error)
}

// FilterFunc is a Filter made of a function.
type FilterFunc func(msg []byte) ([]byte, error)

// Filter calls f.
func (f FilterFunc) Filter(msg []byte) ([]byte, error) { return f(msg) }

// ServerObserver is implemented by a Filter that must also see what the
// upstream sends (rfb's view-only filter does, for protocol 3.3). The
// relay shows it each piece of upstream data before the client can see
// it, from another goroutine than Filter's; an error closes both sides
// with a policy violation.
type ServerObserver interface {
	ObserveServer(p []byte) error
}
