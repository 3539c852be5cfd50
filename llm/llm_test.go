package llm

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/footnote-bot/footnote/internal/openaitest"
)

const testKey = "sk-test-key-0123456789abcdef"

// countingTransport counts the response bytes the client reads off the
// network (below the bounds).
type countingTransport struct{ n *atomic.Int64 }

func (c countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		resp.Body = countingBody{resp.Body, c.n}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func client(t *testing.T, rep openaitest.Reply) (*Client, *atomic.Int64) {
	t.Helper()
	srv := openaitest.New(t, func(openaitest.Request) openaitest.Reply { return rep })
	var read atomic.Int64
	return New(Config{BaseURL: srv.BaseURL(), Model: "m", APIKey: testKey, MaxTokens: 50,
		HTTPClient: &http.Client{Transport: countingTransport{&read}}}), &read
}

// TestHugeSSELineIsRefused: a server sending one SSE line of 1 GB gets
// ErrLineTooLong once the client has read MaxLineBytes of it; the client
// never holds more (the bytes read off the network prove it).
func TestHugeSSELineIsRefused(t *testing.T) {
	c, read := client(t, openaitest.Reply{HugeLine: 1 << 30})
	_, _, err := c.Complete(context.Background(), "s", "u", func(string) {})
	if !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("err = %v, want ErrLineTooLong", err)
	}
	if n := read.Load(); n > MaxLineBytes+64<<10 {
		t.Errorf("read %d bytes of the response; the bound is %d", n, MaxLineBytes)
	}
}

// TestErrorBodiesAreShortAndMasked: an error body that echoes the key (as
// a Bearer token, in an API error message, among 50 MB) is logged as a
// short excerpt without it.
func TestErrorBodiesAreShortAndMasked(t *testing.T) {
	echo := "upstream said: Authorization: Bearer " + testKey + " was refused; key=" + testKey + " "
	for _, tt := range []struct {
		name   string
		body   string
		stream bool
	}{
		{"plain body", echo, false},
		{"50 MB body", echo + strings.Repeat("padding ", 50<<20/8), false},
		{"50 MB body, stream", echo + strings.Repeat("padding ", 50<<20/8), true},
		{"API error message", `{"error":{"message":"Incorrect API key provided: ` + testKey + `. ` + strings.Repeat("See the docs. ", 100) + `","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`, false},
		{"only the key's end", `{"error":{"message":"key ends in ` + testKey[10:] + `.","type":"x"}}`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, read := client(t, openaitest.Reply{Status: 500, ErrorBody: tt.body})
			var onDelta func(string)
			if tt.stream {
				onDelta = func(string) {}
			}
			_, _, err := c.Complete(context.Background(), "s", "u", onDelta)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.Contains(msg, testKey) || strings.Contains(msg, testKey[10:]) {
				t.Errorf("error shows the key: %s", msg)
			}
			if len(msg) > 300 || strings.Contains(msg, "\n") {
				t.Errorf("error is %d bytes (or several lines), want one short line: %q", len(msg), msg)
			}
			if !strings.Contains(msg, "500") {
				t.Errorf("error lost the status: %s", msg)
			}
			if n := read.Load(); n > maxErrorBody+4<<10 {
				t.Errorf("read %d bytes of the error body, want at most %d", n, maxErrorBody)
			}
		})
	}
}

func TestBoundedBody(t *testing.T) {
	for _, tt := range []struct {
		name    string
		in      string
		maxLine int
		left    int64
		want    error
	}{
		{"short lines", "data: a\n\ndata: b\n\n", 8, 100, nil},
		{"line at the bound", "12345678\n12345678", 8, 100, nil},
		{"line past the bound", "12345678\n123456789\n", 8, 100, ErrLineTooLong},
		{"no newline at all", strings.Repeat("x", 100), 8, 1000, ErrLineTooLong},
		{"body past its bound", strings.Repeat("1234\n", 100), 8, 99, ErrResponseTooLarge},
		{"body at its bound", strings.Repeat("1234\n", 20), 8, 100, nil},
	} {
		b := &boundedBody{body: io.NopCloser(iotestHalf(strings.NewReader(tt.in))), maxLine: tt.maxLine, left: tt.left}
		got, err := io.ReadAll(b)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		if tt.want == nil && string(got) != tt.in {
			t.Errorf("%s: read %q, want %q", tt.name, got, tt.in)
		}
	}
}

// iotestHalf reads at most 3 bytes at a time, so bounds are checked across
// reads.
func iotestHalf(r io.Reader) io.Reader { return smallReader{r} }

type smallReader struct{ r io.Reader }

func (s smallReader) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), 3)]) }

// TestTokensUsed: the tokens a call cost come from the response's usage,
// and for a stream from its last chunk, which the client asks for
// (stream_options.include_usage).
func TestTokensUsed(t *testing.T) {
	var asked atomic.Bool
	srv := openaitest.New(t, func(r openaitest.Request) openaitest.Reply {
		if r.Stream && r.StreamOptions != nil && r.StreamOptions.IncludeUsage {
			asked.Store(true)
		}
		return openaitest.Reply{Content: "An answer [1].", PromptTokens: 420, CompletionTokens: 180}
	})
	c := New(Config{BaseURL: srv.BaseURL(), Model: "m", APIKey: testKey, MaxTokens: 50})
	for _, stream := range []bool{false, true} {
		var onDelta func(string)
		if stream {
			onDelta = func(string) {}
		}
		text, tokens, err := c.Complete(context.Background(), "s", "u", onDelta)
		if err != nil || text != "An answer [1]." || tokens != 600 {
			t.Errorf("stream %v: %q, %d tokens, %v; want 600 tokens", stream, text, tokens, err)
		}
	}
	if !asked.Load() {
		t.Error("the stream did not ask for its usage")
	}
}
