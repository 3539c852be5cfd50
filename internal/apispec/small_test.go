package apispec

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The validator's own logic (routing, the nullable rewrite, request,
// response and schema checks) on a small spec in testdata, so it is tested
// without ../shared too.
func TestSmallSpec(t *testing.T) {
	spec, err := Load("testdata/small-openapi.json", "/api")
	if err != nil {
		t.Fatal(err)
	}
	if r, params, err := spec.Route("POST", "/api/things/42"); err != nil || r.Path != "/things/{thing_id}" || params["thing_id"] != "42" {
		t.Errorf("route = %v %v %v", r, params, err)
	}
	if r, _, err := spec.Route("POST", "/api/things/@special"); err != nil || r.Path != "/things/@special" {
		t.Errorf("a literal path must win over a template: %v %v", r, err)
	}
	if _, _, err := spec.Route("GET", "/api/things/42"); err == nil {
		t.Error("GET routed to a POST-only path")
	}
	if _, _, err := spec.Route("POST", "/api/things/"); err == nil {
		t.Error("empty path parameter routed")
	}
	req := func(body string) *http.Request {
		r := httptest.NewRequest("POST", "/api/things/42", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	good := `{"name":"abc","note":null}` // null only through the nullable rewrite
	in, err := spec.ValidateRequest(req(good), []byte(good))
	if err != nil {
		t.Fatalf("good request rejected: %v", err)
	}
	for _, bad := range []string{`{"note":"x"}`, `{"name":"toolong"}`, `{"name":5}`} {
		if _, err := spec.ValidateRequest(req(bad), []byte(bad)); err == nil {
			t.Errorf("bad request %s accepted", bad)
		}
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if err := spec.ValidateResponse(in, 200, h, []byte(good)); err != nil {
		t.Errorf("good response rejected: %v", err)
	}
	if err := spec.ValidateResponse(in, 200, h, []byte(`{"note":null}`)); err == nil {
		t.Error("response without name accepted")
	}
	if err := spec.ValidateSchema("Thing", []byte(good)); err != nil {
		t.Errorf("schema: %v", err)
	}
	if err := spec.ValidateSchema("Thing", []byte(`{"name":"abc","note":1}`)); err == nil {
		t.Error("schema accepted a number for a nullable string")
	}
	if err := spec.ValidateSchema("Nothing", []byte(`{}`)); err == nil {
		t.Error("unknown schema accepted")
	}
}
