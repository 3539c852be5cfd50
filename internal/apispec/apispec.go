// Package apispec validates HTTP traffic in tests against an official
// OpenAPI description (Discord's and OpenAI's, from ../shared/specs), so the
// in-process fakes cannot drift from the real APIs. The fakes use it when
// ../shared/specs is there (CI always has it); its own logic is tested on a
// small spec in testdata, and against both real specs when they are there.
package apispec

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Spec is a loaded OpenAPI document.
type Spec struct {
	doc    *openapi3.T
	prefix string // path prefix requests carry before the spec's paths
	paths  []string
}

var (
	cacheMu sync.Mutex
	cache   = map[string]*Spec{}
)

// Load reads a spec once per process. prefix is stripped from request paths
// before matching (e.g. "/api/v10"). OpenAPI 3.0 "nullable: true" is
// rewritten to a 3.1 type union, as the OpenAI spec needs.
func Load(path, prefix string) (*Spec, error) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if s, ok := cache[path+"|"+prefix]; ok {
		return s, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rewriteNullable(tree)
	fixed, err := json.Marshal(tree)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(fixed)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	s := &Spec{doc: doc, prefix: prefix}
	for p := range doc.Paths.Map() {
		s.paths = append(s.paths, p)
	}
	sort.Strings(s.paths)
	cache[path+"|"+prefix] = s
	return s, nil
}

// rewriteNullable turns {"type": T, "nullable": true} into {"type": [T, "null"]}.
func rewriteNullable(v any) {
	switch t := v.(type) {
	case map[string]any:
		if n, ok := t["nullable"].(bool); ok {
			delete(t, "nullable")
			if n {
				switch ty := t["type"].(type) {
				case string:
					t["type"] = []any{ty, "null"}
				case nil:
					// Composite schema (allOf/oneOf/$ref): allow null alongside.
					if _, hasRef := t["$ref"]; !hasRef {
						if any_, ok := t["anyOf"].([]any); ok {
							t["anyOf"] = append(any_, map[string]any{"type": "null"})
						} else if one, ok := t["oneOf"].([]any); ok {
							t["oneOf"] = append(one, map[string]any{"type": "null"})
						}
					}
				}
			}
		}
		for _, c := range t {
			rewriteNullable(c)
		}
	case []any:
		for _, c := range t {
			rewriteNullable(c)
		}
	}
}

// Route finds the spec operation for a method and request path.
func (s *Spec) Route(method, path string) (*routers.Route, map[string]string, error) {
	p := strings.TrimPrefix(path, s.prefix)
	segs := strings.Split(strings.Trim(p, "/"), "/")
	var best *routers.Route
	var bestParams map[string]string
	bestLiterals := -1
	for _, tmpl := range s.paths {
		ts := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		params := map[string]string{}
		literals := 0
		ok := true
		for i, t := range ts {
			if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
				if segs[i] == "" {
					ok = false
					break
				}
				params[t[1:len(t)-1]] = segs[i]
				continue
			}
			if t != segs[i] {
				ok = false
				break
			}
			literals++
		}
		if !ok || literals <= bestLiterals {
			continue
		}
		item := s.doc.Paths.Value(tmpl)
		op := item.GetOperation(strings.ToUpper(method))
		if op == nil {
			continue
		}
		best = &routers.Route{Spec: s.doc, Path: tmpl, PathItem: item, Method: strings.ToUpper(method), Operation: op}
		bestParams, bestLiterals = params, literals
	}
	if best == nil {
		return nil, nil, fmt.Errorf("%s %s: no such operation in the spec", method, path)
	}
	return best, bestParams, nil
}

var opts = &openapi3filter.Options{
	AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
	MultiError:         true,
}

// ValidateRequest checks a request (whose body has been read into body)
// against the spec. It returns the matched route for ValidateResponse.
func (s *Spec) ValidateRequest(r *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	route, params, err := s.Route(r.Method, r.URL.Path)
	if err != nil {
		return nil, err
	}
	clone := r.Clone(context.Background())
	clone.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: clone, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return in, fmt.Errorf("request %s %s does not match the spec: %w", r.Method, r.URL.Path, err)
	}
	return in, nil
}

// ValidateResponse checks a response against the spec operation of in.
func (s *Spec) ValidateResponse(in *openapi3filter.RequestValidationInput, status int, header http.Header, body []byte) error {
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header, Options: opts}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("response %d to %s %s does not match the spec: %w", status, in.Request.Method, in.Request.URL.Path, err)
	}
	return nil
}

// ValidateSchema checks a JSON value against a named component schema.
func (s *Spec) ValidateSchema(name string, raw []byte) error {
	ref := s.doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("no schema %q in the spec", name)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := ref.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors()); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
