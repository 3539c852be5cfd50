package weaviate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// The collection is reached through Weaviate's REST API (/v1/schema,
// /v1/batch/objects, /v1/graphql) with net/http and encoding/json. The
// official Go client was used before; it links gRPC, go-openapi's
// strfmt and validators and Weaviate's schema types, whose package init
// cost every footnote command about 4.5 ms before main, and footnote uses
// six of its calls.

// maxResponse bounds what one response may hold: a batch of passages
// echoed back, or a page of GraphQL results.
const maxResponse = 64 << 20

// client speaks to one Weaviate node.
type client struct {
	base string // scheme://host, no user info or path
	http *http.Client
}

// apiError is a response that was not a success: its status and what
// Weaviate said.
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("status %d", e.Status)
	}
	return fmt.Sprintf("status %d: %s", e.Status, e.Message)
}

// errorMessage reads Weaviate's two error shapes: {"error":[{"message"}]}
// from its handlers and {"code","message"} from request validation.
func errorMessage(body []byte) string {
	var e struct {
		Error []struct {
			Message string `json:"message"`
		} `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return strings.TrimSpace(string(body[:min(len(body), 200)]))
	}
	var msgs []string
	for _, m := range e.Error {
		msgs = append(msgs, m.Message)
	}
	if e.Message != "" {
		msgs = append(msgs, e.Message)
	}
	return strings.Join(msgs, "; ")
}

// do sends in (JSON, unless nil) and decodes a 2xx response into out
// (unless nil). Any other status is an *apiError.
func (c *client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return fmt.Errorf("reading the response: %w", err)
	}
	if len(b) > maxResponse {
		return fmt.Errorf("response over %d MiB", maxResponse>>20)
	}
	if resp.StatusCode/100 != 2 {
		return &apiError{Status: resp.StatusCode, Message: errorMessage(b)}
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decoding the response: %w", err)
	}
	return nil
}

// class is the part of a collection's schema footnote writes and reads.
type class struct {
	Class               string             `json:"class"`
	Description         string             `json:"description,omitempty"`
	Vectorizer          string             `json:"vectorizer,omitempty"`
	InvertedIndexConfig *invertedIndex     `json:"invertedIndexConfig,omitempty"`
	Properties          []property         `json:"properties,omitempty"`
	ReplicationConfig   *replicationConfig `json:"replicationConfig,omitempty"`
	ShardingConfig      map[string]any     `json:"shardingConfig,omitempty"`
}

type invertedIndex struct {
	BM25      bm25Config      `json:"bm25"`
	Stopwords stopwordsConfig `json:"stopwords"`
}

type bm25Config struct {
	K1 float64 `json:"k1"`
	B  float64 `json:"b"`
}

type stopwordsConfig struct {
	Preset string `json:"preset"`
}

type replicationConfig struct {
	Factor int64 `json:"factor"`
}

type property struct {
	Name            string   `json:"name"`
	DataType        []string `json:"dataType"`
	IndexSearchable *bool    `json:"indexSearchable,omitempty"`
	IndexFilterable *bool    `json:"indexFilterable,omitempty"`
	Tokenization    string   `json:"tokenization,omitempty"`
}

// getClass reads a collection's schema; ok is false when there is none.
func (c *client) getClass(ctx context.Context, name string) (cl class, ok bool, err error) {
	err = c.do(ctx, http.MethodGet, "/v1/schema/"+url.PathEscape(name), nil, nil, &cl)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return class{}, false, nil
	}
	if err != nil {
		return class{}, false, err
	}
	return cl, true, nil
}

func (c *client) createClass(ctx context.Context, cl class) error {
	return c.do(ctx, http.MethodPost, "/v1/schema", nil, cl, nil)
}

func (c *client) deleteClass(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/v1/schema/"+url.PathEscape(name), nil, nil, nil)
}

// object is one passage as the batch API takes it.
type object struct {
	Class      string         `json:"class"`
	ID         string         `json:"id"`
	Properties map[string]any `json:"properties"`
}

// batchObjects writes objects and returns the first object error
// Weaviate reports (nil if none).
func (c *client) batchObjects(ctx context.Context, consistency string, objs []object) error {
	var res []struct {
		ID     string `json:"id"`
		Result *struct {
			Errors *struct {
				Error []struct {
					Message string `json:"message"`
				} `json:"error"`
			} `json:"errors"`
		} `json:"result"`
	}
	q := url.Values{"consistency_level": {consistency}}
	if err := c.do(ctx, http.MethodPost, "/v1/batch/objects", q, map[string]any{"objects": objs}, &res); err != nil {
		return err
	}
	for _, o := range res {
		if o.Result != nil && o.Result.Errors != nil && len(o.Result.Errors.Error) > 0 {
			return fmt.Errorf("object %s: %s", o.ID, o.Result.Errors.Error[0].Message)
		}
	}
	return nil
}

// where is a filter in the REST API's JSON form.
type where struct {
	Path           []string `json:"path"`
	Operator       string   `json:"operator"`
	ValueInt       *int64   `json:"valueInt,omitempty"`
	ValueTextArray []string `json:"valueTextArray,omitempty"`
}

// graphQL is the same filter as a GraphQL argument. Strings are written
// as JSON strings, which GraphQL's string literals accept as they are.
func (w where) graphQL() string {
	var b strings.Builder
	b.WriteString("where:{operator: ")
	b.WriteString(w.Operator)
	b.WriteString(", path: ")
	b.Write(mustJSON(w.Path))
	switch {
	case w.ValueInt != nil:
		fmt.Fprintf(&b, ", valueInt: %d", *w.ValueInt)
	case w.ValueTextArray != nil:
		b.WriteString(", valueText: ")
		b.Write(mustJSON(w.ValueTextArray))
	}
	b.WriteString("}")
	return b.String()
}

// mustJSON encodes strings or slices of them, which cannot fail.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// deleteResult counts what one batch delete matched.
type deleteResult struct {
	Matches    int64 `json:"matches"`
	Failed     int64 `json:"failed"`
	Successful int64 `json:"successful"`
}

func (c *client) batchDelete(ctx context.Context, consistency, className string, w where) (deleteResult, error) {
	var res struct {
		Results deleteResult `json:"results"`
	}
	q := url.Values{"consistency_level": {consistency}}
	in := map[string]any{"match": map[string]any{"class": className, "where": w}, "output": "minimal"}
	err := c.do(ctx, http.MethodDelete, "/v1/batch/objects", q, in, &res)
	return res.Results, err
}

// graphql runs a query and returns its data; GraphQL errors are errors.
func (c *client) graphql(ctx context.Context, query string) (map[string]any, error) {
	var res struct {
		Data   map[string]any `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := c.do(ctx, http.MethodPost, "/v1/graphql", nil, map[string]string{"query": query}, &res); err != nil {
		return nil, err
	}
	if len(res.Errors) > 0 {
		msgs := make([]string, len(res.Errors))
		for i, e := range res.Errors {
			msgs[i] = e.Message
		}
		return nil, errors.New(strings.Join(msgs, "; "))
	}
	return res.Data, nil
}
