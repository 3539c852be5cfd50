package apispec

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/internal/sharedtest"
)

// The validators must be able to fail: these cases prove it for both specs.
func TestOpenAIValidation(t *testing.T) {
	spec, err := Load(sharedtest.Path(t, "specs", "openai-openapi.json"), "/v1")
	if err != nil {
		t.Fatal(err)
	}
	good := `{"model":"m","messages":[{"role":"user","content":"hi"}]}`
	bad := `{"messages":"not a list"}`
	req := func(body string) *http.Request {
		r := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	in, err := spec.ValidateRequest(req(good), []byte(good))
	if err != nil {
		t.Fatalf("good request rejected: %v", err)
	}
	if _, err := spec.ValidateRequest(req(bad), []byte(bad)); err == nil {
		t.Error("bad request accepted")
	}
	h := http.Header{"Content-Type": {"application/json"}}
	okResp := `{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop","logprobs":null,"message":{"role":"assistant","content":"hi","refusal":null}}]}`
	if err := spec.ValidateResponse(in, 200, h, []byte(okResp)); err != nil {
		t.Errorf("good response rejected: %v", err)
	}
	if err := spec.ValidateResponse(in, 200, h, []byte(`{"id":"x"}`)); err == nil {
		t.Error("response without choices accepted")
	}
	if err := spec.ValidateSchema("CreateChatCompletionStreamResponse", []byte(`{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}`)); err != nil {
		t.Errorf("good chunk rejected: %v", err)
	}
	if err := spec.ValidateSchema("CreateChatCompletionStreamResponse", []byte(`{"id":"x","choices":"no"}`)); err == nil {
		t.Error("bad chunk accepted")
	}
	if _, _, err := spec.Route("POST", "/v1/no/such/path"); err == nil {
		t.Error("unknown path routed")
	}
}

func TestDiscordValidation(t *testing.T) {
	spec, err := Load(sharedtest.Path(t, "specs", "discord-openapi.json"), "/api/v10")
	if err != nil {
		t.Fatal(err)
	}
	route, params, err := spec.Route("PUT", "/api/v10/applications/123/guilds/456/commands")
	if err != nil {
		t.Fatal(err)
	}
	if route.Path != "/applications/{application_id}/guilds/{guild_id}/commands" || params["guild_id"] != "456" {
		t.Errorf("route %s %v", route.Path, params)
	}
	good := `{"content":"hello","allowed_mentions":{"parse":[]}}`
	r := httptest.NewRequest("POST", "/api/v10/channels/123/messages", strings.NewReader(good))
	r.Header.Set("Content-Type", "application/json")
	if _, err := spec.ValidateRequest(r, []byte(good)); err != nil {
		t.Errorf("good message rejected: %v", err)
	}
	bad := `{"content":5,"allowed_mentions":{"parse":["robots"]}}`
	r = httptest.NewRequest("POST", "/api/v10/channels/123/messages", strings.NewReader(bad))
	r.Header.Set("Content-Type", "application/json")
	if _, err := spec.ValidateRequest(r, []byte(bad)); err == nil {
		t.Error("bad message accepted")
	}
}
