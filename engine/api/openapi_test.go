package api_test

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api"
	"github.com/simphony/simphony-remote/engine/api/wire"
	"github.com/simphony/simphony-remote/engine/audit"
)

// openAPIDoc is openapi.json as plain JSON values.
func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	return doc
}

// resolve follows a local JSON pointer ("#/components/schemas/Me").
func resolve(doc map[string]any, ref string) (any, bool) {
	pointer, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	var cur any = doc
	for _, tok := range strings.Split(pointer, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// walk calls f on every JSON object in v, with its location.
func walk(v any, at string, f func(at string, obj map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(at, v)
		for k, c := range v {
			walk(c, at+"/"+k, f)
		}
	case []any:
		for i, c := range v {
			walk(c, at+"/"+strconv.Itoa(i), f)
		}
	}
}

// deref returns the object a {"$ref"} object points at, or obj itself.
func deref(t *testing.T, doc, obj map[string]any) map[string]any {
	t.Helper()
	for i := 0; i < 10; i++ {
		ref, ok := obj["$ref"].(string)
		if !ok {
			return obj
		}
		target, ok := resolve(doc, ref)
		if !ok {
			t.Fatalf("$ref %s does not resolve", ref)
		}
		if obj, ok = target.(map[string]any); !ok {
			t.Fatalf("$ref %s is not an object", ref)
		}
	}
	t.Fatalf("$ref chain too long at %v", obj)
	return nil
}

func TestOpenAPIReferencesResolve(t *testing.T) {
	doc := openAPIDoc(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf(`"openapi" is %q, want 3.1.x`, v)
	}
	used := map[string]bool{}
	walk(doc, "#", func(at string, obj map[string]any) {
		raw, ok := obj["$ref"]
		if !ok {
			return
		}
		ref, _ := raw.(string)
		if _, ok := resolve(doc, ref); !ok {
			t.Errorf("%s: $ref %q does not resolve", at, raw)
		}
		used[ref] = true
	})
	// Every component is used: a dead definition is a mistake waiting.
	components, _ := doc["components"].(map[string]any)
	for kind, defs := range components {
		if kind == "securitySchemes" {
			continue
		}
		for name := range defs.(map[string]any) {
			if ref := "#/components/" + kind + "/" + name; !used[ref] {
				t.Errorf("%s is never referenced", ref)
			}
		}
	}
}

var pathParamRE = regexp.MustCompile(`\{([^}]+)\}`)

func TestOpenAPIOperations(t *testing.T) {
	doc := openAPIDoc(t)
	paths, _ := doc["paths"].(map[string]any)
	if len(paths) == 0 {
		t.Fatal("no paths")
	}
	schemes := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	ids := map[string]string{}
	n := 0
	for path, rawItem := range paths {
		item := rawItem.(map[string]any)
		var want []string
		for _, m := range pathParamRE.FindAllStringSubmatch(path, -1) {
			want = append(want, m[1])
		}
		sort.Strings(want)
		for _, method := range []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"} {
			rawOp, ok := item[method]
			if !ok {
				continue
			}
			n++
			op := rawOp.(map[string]any)
			where := strings.ToUpper(method) + " " + path

			id, _ := op["operationId"].(string)
			if id == "" {
				t.Errorf("%s has no operationId", where)
			} else if other, dup := ids[id]; dup {
				t.Errorf("%s and %s share the operationId %s", where, other, id)
			}
			ids[id] = where

			responses, _ := op["responses"].(map[string]any)
			ok2xx := false
			for code, r := range responses {
				if c, err := strconv.Atoi(code); err != nil || c < 100 || c > 599 {
					t.Errorf("%s: response %q is not a status code", where, code)
				} else if c >= 200 && c < 300 {
					ok2xx = true
				}
				if _, ok := deref(t, doc, r.(map[string]any))["description"].(string); !ok {
					t.Errorf("%s: response %s has no description", where, code)
				}
			}
			if !ok2xx {
				t.Errorf("%s has no 2xx response", where)
			}

			// The path's {params} are exactly its path parameters.
			var got []string
			for _, level := range []any{item["parameters"], op["parameters"]} {
				params, _ := level.([]any)
				for _, p := range params {
					p := deref(t, doc, p.(map[string]any))
					if p["in"] == "path" {
						got = append(got, p["name"].(string))
						if p["required"] != true {
							t.Errorf("%s: path parameter %s is not required", where, p["name"])
						}
					}
				}
			}
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s: path parameters %v, want %v", where, got, want)
			}

			// Security names known schemes; unsafe methods with the
			// cookie also need the CSRF header.
			sec, hasSec := op["security"].([]any)
			if !hasSec {
				sec, _ = doc["security"].([]any)
			}
			for _, req := range sec {
				req := req.(map[string]any)
				for name := range req {
					if _, ok := schemes[name]; !ok {
						t.Errorf("%s: unknown security scheme %s", where, name)
					}
				}
				if _, cookie := req["cookie"]; cookie && method != "get" {
					if _, csrf := req["csrf"]; !csrf {
						t.Errorf("%s: the cookie without the CSRF header", where)
					}
				}
			}
			if path != "/openapi.json" && len(sec) == 0 {
				t.Errorf("%s needs no authentication", where)
			}
		}
	}

	ops, err := api.DocumentedOperations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != n || !sort.StringsAreSorted(ops) {
		t.Errorf("DocumentedOperations() = %d operations (sorted: %v), want %d", len(ops), sort.StringsAreSorted(ops), n)
	}
	for _, w := range []string{"GET /api/v1/me", "POST /api/v1/containers", "DELETE /api/v1/containers/{url_id}/shares/{user}",
		"DELETE /api/v1/tokens/{id}", "GET /api/v1/openapi.json", "PATCH /api/v1/admin/applications/{image}",
		"POST /api/v1/admin/images/build", "GET /api/v1/admin/audit"} {
		if !slices.Contains(ops, w) {
			t.Errorf("DocumentedOperations() lacks %q: %v", w, ops)
		}
	}
}

// TestOpenAPIMatchesWire keeps the document's schemas and the Go types
// that the server and its clients use in step: the same field names, and
// for answers the required fields are those always written.
func TestOpenAPIMatchesWire(t *testing.T) {
	doc := openAPIDoc(t)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	tests := []struct {
		schema string
		v      any
		answer bool // written by the server: required = not omitempty
	}{
		{"Error", wire.Error{}, true},
		{"Me", wire.Me{}, true},
		{"Image", wire.Image{}, true},
		{"Policy", wire.Policy{}, true},
		{"PolicyInput", wire.Policy{}, false},
		{"Container", wire.Container{}, true},
		{"Application", wire.UserApplication{}, true},
		{"StartRequest", wire.StartRequest{}, false},
		{"Share", wire.Share{}, true},
		{"ShareRequest", wire.ShareRequest{}, false},
		{"SharedSession", wire.SharedSession{}, true},
		{"Token", wire.Token{}, true},
		{"TokenRequest", wire.TokenRequest{}, false},
		{"Event", wire.Event{}, true},
		{"AdminUser", wire.User{}, true},
		{"CreateUser", wire.CreateUser{}, false},
		{"UpdateUser", wire.UpdateUser{}, false},
		{"Limits", accounting.LimitsJSON{}, true},
		{"AdminApplication", wire.Application{}, true},
		{"CreateApplication", wire.CreateApplication{}, false},
		{"UpdateApplication", wire.UpdateApplication{}, false},
		{"LimitsChange", wire.LimitsChange{}, false},
		{"Grant", wire.Grant{}, true},
		{"CreateGrant", wire.CreateGrant{}, false},
		{"RevokeGrants", wire.RevokeGrants{}, false},
		{"MappingID", wire.MappingID{}, true},
		{"Revoked", wire.Revoked{}, true},
		{"ImportRequest", wire.Import{}, false},
		{"ImportReport", wire.ImportReport{}, true},
		{"SignInLink", wire.SignInLink{}, true},
		{"AdminStats", wire.AdminStats{}, true},
		{"ImageInfo", wire.ImageInfo{}, true},
		{"ImportedImage", wire.ImportedImage{}, true},
		{"ImportResult", wire.ImportResult{}, true},
		{"BuildResult", wire.BuildResult{}, true},
		{"AdminContainer", wire.AdminContainer{}, true},
		{"Viewer", wire.Viewer{}, true},
		{"AdminShare", wire.AdminShare{}, true},
		{"RunningSample", wire.RunningSample{}, true},
		{"StartTimes", wire.StartTimes{}, true},
		{"AdminInfo", wire.AdminInfo{}, true},
		{"LogPage", wire.LogPage{}, true},
		{"LogLine", wire.LogLine{}, true},
		{"StartersBuild", wire.StartersBuild{}, true},
		{"AuditEntry", audit.Entry{}, true},
		{"AuditPage", wire.AuditPage{}, true},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			seen[tt.schema] = true
			s, ok := schemas[tt.schema].(map[string]any)
			if !ok {
				t.Fatalf("no schema %s", tt.schema)
			}
			props, _ := s["properties"].(map[string]any)
			var inDoc, required []string
			for p := range props {
				inDoc = append(inDoc, p)
			}
			reqs, _ := s["required"].([]any)
			for _, r := range reqs {
				required = append(required, r.(string))
			}
			fields, always := jsonFields(reflect.TypeOf(tt.v))
			sort.Strings(inDoc)
			sort.Strings(required)
			if !slices.Equal(inDoc, fields) {
				t.Errorf("properties %v, Go fields %v", inDoc, fields)
			}
			if tt.answer && !slices.Equal(required, always) {
				t.Errorf("required %v, fields always written %v", required, always)
			}
			for _, r := range required {
				if !slices.Contains(inDoc, r) {
					t.Errorf("required %s is not a property", r)
				}
			}
		})
	}
	for name, s := range schemas {
		if _, isObject := s.(map[string]any)["properties"]; isObject && !seen[name] {
			t.Errorf("schema %s has no Go type in this test", name)
		}
	}
}

// jsonFields lists the JSON names of a struct's fields, and those written
// even when zero.
func jsonFields(typ reflect.Type) (all, always []string) {
	for f := range typ.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		all = append(all, name)
		if !slices.Contains(strings.Split(opts, ","), "omitempty") {
			always = append(always, name)
		}
	}
	sort.Strings(all)
	sort.Strings(always)
	return all, always
}

// TestOpenAPIEnums keeps the document's enumerations and wire's constants
// in step.
func TestOpenAPIEnums(t *testing.T) {
	doc := openAPIDoc(t)
	tests := []struct {
		pointer string
		want    []string
	}{
		{"#/components/schemas/Error/properties/type/enum", []string{wire.TypeInvalid, wire.TypeBadRequest, wire.TypeUnauthorized,
			wire.TypeForbidden, wire.TypeNotFound, wire.TypeMethodNotAllowed, wire.TypeExists, wire.TypeReadOnly, wire.TypeInProgress,
			wire.TypeTooLarge, wire.TypeUnavailable, wire.TypeNotReady, wire.TypeInternal}},
		{"#/components/schemas/Me/properties/auth/enum", []string{wire.AuthCookie, wire.AuthToken}},
		{"#/components/schemas/Image/properties/type/enum", []string{wire.ImageVNC, wire.ImageWeb, ""}},
		{"#/components/schemas/Image/properties/configurables/items/enum", []string{wire.ConfigResolution, wire.ConfigStartupData}},
		{"#/components/schemas/Share/properties/mode/enum", []string{wire.ShareView, wire.ShareControl}},
		{"#/components/schemas/ShareRequest/properties/mode/enum", []string{wire.ShareView, wire.ShareControl}},
		{"#/components/schemas/Event/properties/kind/enum", []string{wire.EventProgress, wire.EventStarted, wire.EventStopped, wire.EventFailed}},
	}
	for _, tt := range tests {
		v, ok := resolve(doc, tt.pointer)
		if !ok {
			t.Errorf("no %s", tt.pointer)
			continue
		}
		var got []string
		for _, e := range v.([]any) {
			got = append(got, e.(string))
		}
		want := slices.Clone(tt.want)
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", tt.pointer, got, want)
		}
	}
}
