// Package llm is an OpenAI-compatible chat client (OpenAI, Azure OpenAI,
// Ollama, vLLM, llama.cpp server, OpenRouter, …) built on go-openai.
package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// Config is what the client needs.
type Config struct {
	BaseURL     string // e.g. https://api.openai.com/v1
	Model       string
	APIKey      string
	MaxTokens   int
	Temperature float64
	// HTTPClient is optional (tests, proxies).
	HTTPClient *http.Client
}

// Client talks to one OpenAI-compatible server.
type Client struct {
	c        *openai.Client
	model    string
	maxTok   int
	temp     float32
	maxChars int
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.HTTPClient != nil {
		oc.HTTPClient = cfg.HTTPClient
	}
	maxTok := cfg.MaxTokens
	if maxTok <= 0 {
		maxTok = 400
	}
	return &Client{c: openai.NewClientWithConfig(oc), model: cfg.Model, maxTok: maxTok, temp: float32(cfg.Temperature),
		// A token is rarely more than a dozen characters: a stream that runs
		// far past this is not stopping by itself.
		maxChars: maxTok * 16}
}

// ErrTooLong is returned when a streamed answer exceeds its size bound.
var ErrTooLong = errors.New("llm: answer exceeded its length bound")

// Complete sends one system and one user message. With onDelta it streams
// and calls onDelta with the text so far after each chunk.
func (c *Client) Complete(ctx context.Context, system, user string, onDelta func(soFar string)) (string, error) {
	req := openai.ChatCompletionRequest{
		Model: c.model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: system},
			{Role: openai.ChatMessageRoleUser, Content: user},
		},
		// max_tokens, not max_completion_tokens: the OpenAI-compatible
		// servers footnote is used with (Ollama, vLLM, llama.cpp) read it.
		MaxTokens:   c.maxTok, //lint:ignore SA1019 see above
		Temperature: c.temp,
	}
	if onDelta == nil {
		resp, err := c.c.CreateChatCompletion(ctx, req)
		if err != nil {
			return "", fmt.Errorf("llm: chat completion: %w", err)
		}
		if len(resp.Choices) == 0 {
			return "", errors.New("llm: response has no choices")
		}
		return resp.Choices[0].Message.Content, nil
	}
	req.Stream = true
	stream, err := c.c.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return "", fmt.Errorf("llm: chat completion stream: %w", err)
	}
	defer stream.Close()
	var sb strings.Builder
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return sb.String(), nil
		}
		if err != nil {
			return sb.String(), fmt.Errorf("llm: stream: %w", err)
		}
		if len(chunk.Choices) == 0 {
			continue
		}
		delta := chunk.Choices[0].Delta.Content
		if delta == "" {
			continue
		}
		sb.WriteString(delta)
		if sb.Len() > c.maxChars {
			return sb.String(), ErrTooLong
		}
		onDelta(sb.String())
	}
}
