package api

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// served records the operations the handlers register, so that a test can
// hold them against the OpenAPI document.
var served struct {
	sync.Mutex
	ops map[string]bool
}

// register adds a route to mux and records it as an operation.
func register(mux *http.ServeMux, pattern string, h http.Handler) {
	mux.Handle(pattern, h)
	served.Lock()
	defer served.Unlock()
	if served.ops == nil {
		served.ops = map[string]bool{}
	}
	served.ops[pattern] = true
}

var restWildcard = regexp.MustCompile(`\{([a-z_]+)\.\.\.\}`)

// ServedOperations lists the /api/v1 operations the handlers made so far
// serve, as "METHOD /api/v1/path/{param}", sorted.
func ServedOperations() []string {
	served.Lock()
	defer served.Unlock()
	var out []string
	for p := range served.ops {
		method, path, ok := strings.Cut(p, " ")
		if !ok || !strings.HasPrefix(path, Prefix+"/") {
			continue
		}
		out = append(out, method+" "+restWildcard.ReplaceAllString(path, "{$1}"))
	}
	sort.Strings(out)
	return out
}
