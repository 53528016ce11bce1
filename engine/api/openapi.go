package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// OpenAPI is the OpenAPI 3.1 description of the JSON API (v1), served at
// /api/v1/openapi.json. It is written by hand: change it together with the
// endpoints and engine/api/wire.
//
//go:embed openapi.json
var OpenAPI []byte

// openAPIMethods are the operations of an OpenAPI path item, in the order
// the specification lists them.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// DocumentedOperations lists the operations OpenAPI describes as
// "METHOD /api/v1/path/with/{param}", sorted: the paths with the server's
// base path in front, the methods in upper case.
func DocumentedOperations() ([]string, error) {
	var doc struct {
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		return nil, fmt.Errorf("reading openapi.json: %w", err)
	}
	base := ""
	if len(doc.Servers) > 0 {
		u, err := url.Parse(doc.Servers[0].URL)
		if err != nil {
			return nil, fmt.Errorf("reading openapi.json: server URL: %w", err)
		}
		base = strings.TrimSuffix(u.Path, "/")
	}
	var ops []string
	for path, item := range doc.Paths {
		for _, m := range openAPIMethods {
			if _, ok := item[m]; ok {
				ops = append(ops, strings.ToUpper(m)+" "+base+path)
			}
		}
	}
	sort.Strings(ops)
	return ops, nil
}
