package openaitest

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
)

// checkRequest is the fake's own check of a chat completion request, which
// runs whether or not OpenAI's spec is beside the clone (without it, it is
// all the checking there is): a JSON object with a model and at least one
// message of a known role, and the sampling settings footnote sends within
// the ranges the API accepts. It returns the problems found.
func checkRequest(r *http.Request, body []byte) []string {
	var probs []string
	bad := func(format string, a ...any) { probs = append(probs, "request: "+fmt.Sprintf(format, a...)) }
	if r.Method != http.MethodPost {
		bad("%s %s, want POST", r.Method, r.URL.Path)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		bad("Content-Type %q, want application/json", r.Header.Get("Content-Type"))
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		bad("body is not a JSON object (%v): %.200q", err, body)
		return probs
	}
	if s, ok := m["model"].(string); !ok || s == "" {
		bad("model is %v, want a non-empty string", m["model"])
	}
	msgs, ok := m["messages"].([]any)
	if !ok || len(msgs) == 0 {
		bad("messages is %v, want a non-empty array", m["messages"])
	}
	roles := map[string]bool{"developer": true, "system": true, "user": true, "assistant": true, "tool": true, "function": true}
	for i, x := range msgs {
		msg, ok := x.(map[string]any)
		if !ok {
			bad("messages[%d] is not an object", i)
			continue
		}
		if role, _ := msg["role"].(string); !roles[role] {
			bad("messages[%d].role is %v, not a chat role", i, msg["role"])
		}
		switch c := msg["content"].(type) {
		case string, []any:
		case nil:
			if msg["role"] != "assistant" {
				bad("messages[%d] has no content", i)
			}
		default:
			bad("messages[%d].content is %T, want a string or an array of parts", i, c)
		}
	}
	if v, ok := m["stream"]; ok && v != nil {
		if _, ok := v.(bool); !ok {
			bad("stream is %v, want a boolean", v)
		}
	}
	number := func(key string, lo, hi float64, integer bool) {
		v, ok := m[key]
		if !ok || v == nil {
			return
		}
		f, ok := v.(float64)
		if !ok || (integer && f != float64(int64(f))) || f < lo || f > hi {
			bad("%s is %v, want a number from %v to %v", key, v, lo, hi)
		}
	}
	number("temperature", 0, 2, false)
	number("top_p", 0, 1, false)
	number("presence_penalty", -2, 2, false)
	number("frequency_penalty", -2, 2, false)
	number("max_tokens", 1, 1<<31, true)
	number("max_completion_tokens", 1, 1<<31, true)
	number("n", 1, 128, true)
	return probs
}
