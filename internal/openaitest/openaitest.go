// Package openaitest is an in-process OpenAI-compatible server for tests:
// /v1/chat/completions with and without "stream": true (server-sent events
// as the API sends them), scripted per request. Every request is checked by
// the fake itself (check.go); when ../shared/specs is there (CI always has
// it), every request and response is also validated against OpenAI's
// OpenAPI spec. Without the spec the fake runs all the same and says once
// that spec validation is off; FOOTNOTE_REQUIRE_SHARED=1 makes a missing
// spec fail the test instead.
package openaitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/internal/apispec"
	"github.com/footnote-bot/footnote/internal/sharedtest"
)

// Reply scripts one response.
type Reply struct {
	Status     int           // 0 = 200
	Content    string        // the answer text
	Chunks     []string      // for streams: content split like this (default: by word)
	Delay      time.Duration // before answering
	ChunkDelay time.Duration // between stream chunks
	Malformed  bool          // stream: send a broken JSON chunk midway
	Truncated  bool          // stream: stop without [DONE]
	Endless    bool          // stream: never stop sending chunks
	RetryAfter int           // seconds, with 429
	Garbage    bool          // non-stream: 200 with a body that is not JSON
	// Hold, when set, makes the server answer only once it is closed (or
	// the client hangs up): a test closes it when it is done, so a client
	// that gets no answer does so because of its own timeout, not a race
	// with the server's clock.
	Hold <-chan struct{}
	// HugeLine, for streams: after the first chunk, one SSE line of this
	// many bytes (written 64 KiB at a time, never held in memory), as a
	// hostile or broken server might send.
	HugeLine int64
	// ErrorBody, with Status: the error response's body, verbatim (e.g. one
	// that echoes the Authorization header, or 50 MB of it).
	ErrorBody string
	// PromptTokens and CompletionTokens are the usage reported (default
	// 10 and 5): in the response, and in a stream's last chunk when the
	// request asks for it (stream_options.include_usage).
	PromptTokens, CompletionTokens int
	// BeforeChunk, for streams, is called before content chunk n (from 0)
	// is sent and may block: a test can hold the stream until the client
	// has shown what it got so far, instead of timing it.
	BeforeChunk func(n int)
}

// Request is a recorded chat request.
type Request struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	MaxTokens     int     `json:"max_tokens"`
	Temperature   float64 `json:"temperature"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Auth string `json:"-"`
}

// usage is what rep reports it cost.
func (rep Reply) usage() map[string]any {
	p, c := rep.PromptTokens, rep.CompletionTokens
	if p == 0 && c == 0 {
		p, c = 10, 5
	}
	return map[string]any{"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
}

// Server is the fake.
type Server struct {
	*httptest.Server
	spec   *apispec.Spec // nil without ../shared/specs
	script func(Request) Reply

	mu       sync.Mutex
	requests []Request
	problems []string
}

var specOff sync.Once

// New starts a server whose replies come from script. It validates against
// OpenAI's OpenAPI spec when ../shared/specs has it.
func New(t testing.TB, script func(Request) Reply) *Server {
	t.Helper()
	var spec *apispec.Spec
	if path, ok := sharedtest.Optional(t, "specs", "openai-openapi.json"); ok {
		var err error
		if spec, err = apispec.Load(path, "/v1"); err != nil {
			t.Fatal(err)
		}
	} else {
		specOff.Do(func() {
			t.Log("openaitest: ../shared/specs/openai-openapi.json is absent, so traffic is not validated against OpenAI's OpenAPI spec; the fake's own checks still run (CI has the spec; FOOTNOTE_REQUIRE_SHARED=1 requires it)")
		})
	}
	s := &Server{spec: spec, script: script}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(func() {
		s.CloseClientConnections()
		s.Close()
		for _, p := range s.Problems() {
			t.Errorf("openaitest: %s", p)
		}
	})
	return s
}

// BaseURL is the URL to configure as the API base.
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// Requests returns the chat requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Problems lists spec violations seen so far.
func (s *Server) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.problems...)
}

func (s *Server) problem(format string, a ...any) {
	s.mu.Lock()
	s.problems = append(s.problems, fmt.Sprintf(format, a...))
	s.mu.Unlock()
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path == "/v1/chat/completions" {
		if probs := checkRequest(r, body); len(probs) > 0 {
			for _, p := range probs {
				s.problem("%s", p)
			}
			http.Error(w, strings.Join(probs, "\n"), http.StatusBadRequest)
			return
		}
	}
	if s.spec != nil {
		if _, err := s.spec.ValidateRequest(r, body); err != nil {
			s.problem("%v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	if r.URL.Path != "/v1/chat/completions" {
		s.problem("unexpected path %s", r.URL.Path)
		http.NotFound(w, r)
		return
	}
	var req Request
	if err := json.Unmarshal(body, &req); err != nil {
		s.problem("request body: %v", err)
	}
	req.Auth = r.Header.Get("Authorization")
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	rep := s.script(req)
	if rep.Delay > 0 {
		select {
		case <-time.After(rep.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if rep.Hold != nil {
		select {
		case <-rep.Hold:
		case <-r.Context().Done():
			return
		}
	}
	if rep.Status != 0 && rep.Status != http.StatusOK {
		s.writeError(w, rep)
		return
	}
	if !req.Stream {
		s.writeJSON(w, req, rep)
		return
	}
	s.writeStream(w, r, req, rep)
}

func (s *Server) writeError(w http.ResponseWriter, rep Reply) {
	body, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message": http.StatusText(rep.Status), "type": "server_error", "param": nil, "code": nil}})
	if rep.ErrorBody != "" {
		body = []byte(rep.ErrorBody)
	}
	w.Header().Set("Content-Type", "application/json")
	if rep.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(rep.RetryAfter))
	}
	w.WriteHeader(rep.Status)
	w.Write(body)
}

func (s *Server) writeJSON(w http.ResponseWriter, req Request, rep Reply) {
	w.Header().Set("Content-Type", "application/json")
	if rep.Garbage {
		w.Write([]byte("<html>bad gateway</html>"))
		return
	}
	body, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion", "created": time.Now().Unix(), "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "logprobs": nil,
			"message": map[string]any{"role": "assistant", "content": rep.Content, "refusal": nil}}},
		"usage": rep.usage(),
	})
	s.validate("CreateChatCompletionResponse", "response", body)
	w.Write(body)
}

// validate checks the fake's own output against a schema of the spec (when
// it is there).
func (s *Server) validate(schema, what string, b []byte) {
	if s.spec == nil {
		return
	}
	if err := s.spec.ValidateSchema(schema, b); err != nil {
		s.problem("fake's own %s: %v", what, err)
	}
}

func (s *Server) chunk(req Request, delta map[string]any, finish any) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": time.Now().Unix(), "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": nil}},
	})
	s.validate("CreateChatCompletionStreamResponse", "stream chunk", b)
	return b
}

func (s *Server) writeStream(w http.ResponseWriter, r *http.Request, req Request, rep Reply) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl, _ := w.(http.Flusher)
	send := func(data []byte) bool {
		if _, err := fmt.Fprintf(w, "data: %s\n\n", data); err != nil {
			return false
		}
		if fl != nil {
			fl.Flush()
		}
		if rep.ChunkDelay > 0 {
			select {
			case <-time.After(rep.ChunkDelay):
			case <-r.Context().Done():
				return false
			}
		}
		return r.Context().Err() == nil
	}
	chunks := rep.Chunks
	if chunks == nil {
		for i, word := range strings.SplitAfter(rep.Content, " ") {
			_ = i
			chunks = append(chunks, word)
		}
	}
	if !send(s.chunk(req, map[string]any{"role": "assistant", "content": ""}, nil)) {
		return
	}
	if rep.HugeLine > 0 {
		if _, err := io.WriteString(w, "data: "); err != nil {
			return
		}
		block := []byte(strings.Repeat("x", 64<<10))
		for left := rep.HugeLine; left > 0; left -= int64(len(block)) {
			if _, err := w.Write(block[:min(left, int64(len(block)))]); err != nil {
				return // the client hung up
			}
		}
		io.WriteString(w, "\n\n")
		return
	}
	for i, c := range chunks {
		if rep.Malformed && i == len(chunks)/2 {
			send([]byte(`{"id": "chatcmpl-test", "choices": [{"delta": {"content": "bro`))
			return
		}
		if rep.BeforeChunk != nil {
			rep.BeforeChunk(i)
		}
		if !send(s.chunk(req, map[string]any{"content": c}, nil)) {
			return
		}
	}
	for rep.Endless {
		if !send(s.chunk(req, map[string]any{"content": "and on "}, nil)) {
			return
		}
	}
	if rep.Truncated {
		return
	}
	send(s.chunk(req, map[string]any{}, "stop"))
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		// As OpenAI sends it: one more chunk, no choices, the usage.
		b, _ := json.Marshal(map[string]any{"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": time.Now().Unix(),
			"model": req.Model, "choices": []any{}, "usage": rep.usage()})
		s.validate("CreateChatCompletionStreamResponse", "usage chunk", b)
		send(b)
	}
	send([]byte("[DONE]"))
}

// ForgetRequests drops the recorded requests.
func (s *Server) ForgetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}
