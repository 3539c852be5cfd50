// Package llm is an OpenAI-compatible chat client (OpenAI, Azure OpenAI,
// Ollama, vLLM, llama.cpp server, OpenRouter, …) built on go-openai.
//
// The server's bytes are untrusted, so the client bounds them below
// go-openai, in the HTTP transport: a line of a response (an SSE event, or
// a whole JSON body) may be at most MaxLineBytes, a successful response at
// most max(8 MiB, 1 KiB per token), and an error body is read to 16 KiB
// at most. go-openai reads a stream with bufio.Reader.ReadBytes('\n'),
// which grows without limit (a 1 GB line took 2.1 GB): behind this
// transport it gets ErrLineTooLong after MaxLineBytes instead. Errors carry
// a short excerpt of what the server said, with the API key and anything
// that looks like a credential masked.
package llm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/footnote-bot/footnote/internal/redact"
)

// Config is what the client needs.
type Config struct {
	BaseURL     string // e.g. https://api.openai.com/v1
	Model       string
	APIKey      string
	MaxTokens   int
	Temperature float64
	// HTTPClient is optional (tests, proxies); its transport is wrapped
	// with the response bounds.
	HTTPClient *http.Client
}

// Response bounds.
const (
	// MaxLineBytes is the longest line (SSE event or JSON body) read.
	MaxLineBytes = 1 << 20
	// maxErrorBody is how much of an error response is read.
	maxErrorBody = 16 << 10
	// errorExcerpt is how much of the server's words an error keeps.
	errorExcerpt = 200
)

// Errors for responses past their bounds.
var (
	ErrLineTooLong      = fmt.Errorf("llm: the server sent a line longer than %d bytes", MaxLineBytes)
	ErrResponseTooLarge = errors.New("llm: the server's response exceeded its size bound")
)

// Client talks to one OpenAI-compatible server.
type Client struct {
	c        *openai.Client
	model    string
	key      string
	maxTok   int
	temp     float32
	maxChars int
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	maxTok := cfg.MaxTokens
	if maxTok <= 0 {
		maxTok = 400
	}
	base := cfg.HTTPClient
	if base == nil {
		base = &http.Client{}
	}
	hc := *base
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = boundedTransport{next: next, maxBody: max(8<<20, int64(maxTok)<<10)}
	oc.HTTPClient = &hc
	return &Client{c: openai.NewClientWithConfig(oc), model: cfg.Model, key: cfg.APIKey, maxTok: maxTok, temp: float32(cfg.Temperature),
		// A token is rarely more than a dozen characters: a stream that runs
		// far past this is not stopping by itself.
		maxChars: maxTok * 16}
}

// ErrTooLong is returned when a streamed answer exceeds its size bound.
var ErrTooLong = errors.New("llm: answer exceeded its length bound")

// Complete sends one system and one user message. With onDelta it streams
// (asking for the usage at the end: stream_options.include_usage) and
// calls onDelta with the text so far after each chunk. tokens is what the
// call cost (prompt and completion), as the server counted it; 0 when it
// did not say.
func (c *Client) Complete(ctx context.Context, system, user string, onDelta func(soFar string)) (text string, tokens int, err error) {
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
			return "", 0, c.clean("llm: chat completion", err)
		}
		used := resp.Usage.TotalTokens
		if len(resp.Choices) == 0 {
			return "", used, errors.New("llm: response has no choices")
		}
		return resp.Choices[0].Message.Content, used, nil
	}
	req.Stream = true
	req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	stream, err := c.c.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return "", 0, c.clean("llm: chat completion stream", err)
	}
	defer stream.Close()
	var sb strings.Builder
	var used int
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return sb.String(), used, nil
		}
		if err != nil {
			return sb.String(), used, c.clean("llm: stream", err)
		}
		if chunk.Usage != nil {
			// The last chunk (no choices) when include_usage is honoured.
			used = chunk.Usage.TotalTokens
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
			return sb.String(), used, ErrTooLong
		}
		onDelta(sb.String())
	}
}

// clean wraps err for the log: what the server said (go-openai puts the
// error body or message in the text) cut to a short excerpt, with the API
// key, Bearer tokens and sk- keys masked.
func (c *Client) clean(what string, err error) error {
	if errors.Is(err, ErrLineTooLong) || errors.Is(err, ErrResponseTooLarge) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return &serverError{msg: what + ": " + redact.Excerpt(err.Error(), errorExcerpt, c.key), err: err}
}

// serverError is an error whose text is safe to log. It matches the
// errors it wraps (errors.Is: deadlines, cancellation) but does not hand
// them out (no Unwrap), so their full text cannot be printed by accident.
type serverError struct {
	msg string
	err error
}

func (e *serverError) Error() string        { return e.msg }
func (e *serverError) Is(target error) bool { return errors.Is(e.err, target) }

// boundedTransport bounds what a response can make the client read.
type boundedTransport struct {
	next    http.RoundTripper
	maxBody int64
}

func (t boundedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// go-openai reads an error body whole: give it the start only.
		resp.Body = readCloser{io.LimitReader(resp.Body, maxErrorBody), resp.Body}
		return resp, nil
	}
	resp.Body = &boundedBody{body: resp.Body, maxLine: MaxLineBytes, left: t.maxBody}
	return resp, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// boundedBody fails a read that would pass a line longer than maxLine
// bytes or more than left bytes in all.
type boundedBody struct {
	body    io.ReadCloser
	maxLine int
	line    int // bytes since the last newline
	left    int64
	err     error
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.body.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		b.err = ErrResponseTooLarge
		return n - 1, b.err
	}
	rest := p[:n]
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			b.line += len(rest)
			break
		}
		if b.line+i > b.maxLine {
			b.line += i
			break
		}
		b.line = 0
		rest = rest[i+1:]
	}
	if b.line > b.maxLine {
		b.err = ErrLineTooLong
		return n, b.err
	}
	return n, err
}

func (b *boundedBody) Close() error { return b.body.Close() }
