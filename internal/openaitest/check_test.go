package openaitest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/internal/apispec"
	"github.com/footnote-bot/footnote/internal/sharedtest"
)

// The fake's own checks pass what footnote's client sends and can fail,
// without ../shared; where the spec is there, the good cases pass it too.
func TestChecks(t *testing.T) {
	tests := []struct {
		name, body string
		want       string // "" = no problem
	}{
		{"request", `{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":"q"}],"max_tokens":512,"temperature":0.2}`, ""},
		{"stream", `{"model":"m","messages":[{"role":"user","content":"q"}],"stream":true}`, ""},
		{"not JSON", `{"model":`, "not a JSON object"},
		{"no model", `{"messages":[{"role":"user","content":"q"}]}`, "model is"},
		{"no messages", `{"model":"m","messages":[]}`, "messages is"},
		{"unknown role", `{"model":"m","messages":[{"role":"robot","content":"q"}]}`, "not a chat role"},
		{"content not text", `{"model":"m","messages":[{"role":"user","content":5}]}`, "content is"},
		{"temperature too high", `{"model":"m","messages":[{"role":"user","content":"q"}],"temperature":3}`, "temperature"},
		{"max_tokens not an integer", `{"model":"m","messages":[{"role":"user","content":"q"}],"max_tokens":1.5}`, "max_tokens"},
		{"stream not a boolean", `{"model":"m","messages":[{"role":"user","content":"q"}],"stream":"yes"}`, "stream is"},
	}
	var spec *apispec.Spec
	if path, ok := sharedtest.Optional(t, "specs", "openai-openapi.json"); ok {
		var err error
		if spec, err = apispec.Load(path, "/v1"); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/json")
			got := strings.Join(checkRequest(r, []byte(tc.body)), "\n")
			switch {
			case tc.want == "" && got != "":
				t.Errorf("good request flagged:\n%s", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("problems = %q, want one with %q", got, tc.want)
			}
			if tc.want == "" && spec != nil {
				if _, err := spec.ValidateRequest(r, []byte(tc.body)); err != nil {
					t.Errorf("good case fails the spec: %v", err)
				}
			}
		})
	}
}

// The server refuses a bad request with 400 and records the problem.
func TestServerChecksRequests(t *testing.T) {
	s := New(t, func(Request) Reply { return Reply{Content: "ok"} })
	resp, err := http.Post(s.BaseURL()+"/chat/completions", "application/json", strings.NewReader(`{"model":"m","messages":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	if got := strings.Join(s.Problems(), "\n"); !strings.Contains(got, "messages is") {
		t.Errorf("problems = %q", got)
	}
	s.mu.Lock()
	s.problems = nil // seen: the cleanup need not fail the test
	s.mu.Unlock()
}
