package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fakeNode is a loopback HTTP server standing in for Weaviate, for what a
// real node will not do on request: fail in each of its error shapes, or
// send more than a response may hold.
func fakeNode(t *testing.T, h http.HandlerFunc) *client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &client{base: srv.URL, http: &http.Client{Timeout: 10 * time.Second}}
}

func TestClientErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"handler error", 422, `{"error":[{"message":"class name Passage already exists"}]}`, "status 422: class name Passage already exists"},
		{"validation error", 415, `{"code":415,"message":"unsupported media type"}`, "status 415: unsupported media type"},
		{"not JSON", 502, "<html>bad gateway</html>", "status 502: <html>bad gateway</html>"},
		{"empty", 500, "", "status 500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fakeNode(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			err := c.createClass(ctx, class{Class: "Passage"})
			var ae *apiError
			if !errors.As(err, &ae) || ae.Status != tc.status || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestClientGetClassNotFound(t *testing.T) {
	c := fakeNode(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/schema/Missing" || r.Method != http.MethodGet {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		w.WriteHeader(http.StatusNotFound)
	})
	if _, ok, err := c.getClass(context.Background(), "Missing"); ok || err != nil {
		t.Fatalf("found %v, error %v; want not found and no error", ok, err)
	}
}

func TestClientGraphQLErrorsAndLimits(t *testing.T) {
	ctx := context.Background()
	var query string
	c := fakeNode(t, func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		var in struct{ Query string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			t.Error(err)
		}
		query = in.Query
		if strings.Contains(in.Query, "Huge") {
			io.WriteString(w, `{"data":{"Get":{"Huge":["`)
			io.WriteString(w, strings.Repeat("x", maxResponse))
			io.WriteString(w, `"]}}}`)
			return
		}
		io.WriteString(w, `{"data":null,"errors":[{"message":"Cannot query field \"x\""},{"message":"second"}]}`)
	})
	if _, err := c.graphql(ctx, "{Get {Passage {x}}}"); err == nil || err.Error() != `Cannot query field "x"; second` {
		t.Fatalf("error %v, want both GraphQL errors", err)
	}
	if query != "{Get {Passage {x}}}" {
		t.Fatalf("query sent %q", query)
	}
	if _, err := c.graphql(ctx, "{Get {Huge {x}}}"); err == nil || !strings.Contains(err.Error(), "response over 64 MiB") {
		t.Fatalf("error %v, want the response bound", err)
	}
}

// Document IDs come from file names and uploads: in a GraphQL filter they
// stay one string each, whatever they hold.
func TestWhereGraphQLQuotesValues(t *testing.T) {
	w := where{Path: []string{"docId"}, Operator: "ContainsAny",
		ValueTextArray: []string{`a"}) {Get {Other`, "back\\slash", "line\nbreak", "\x00nul", "é"}}
	got := w.graphQL()
	want := `where:{operator: ContainsAny, path: ["docId"], valueText: ["a\"}) {Get {Other","back\\slash","line\nbreak","\u0000nul","é"]}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	gen := int64(1733280000000)
	if got := (where{Path: []string{"generation"}, Operator: "NotEqual", ValueInt: &gen}).graphQL(); got != `where:{operator: NotEqual, path: ["generation"], valueInt: 1733280000000}` {
		t.Fatalf("got %s", got)
	}
}

// Collection names and consistency levels are written into queries, so
// New refuses what Weaviate would not take, before connecting.
func TestNewRefusesBadNames(t *testing.T) {
	ctx := context.Background()
	for _, cfg := range []Config{
		{URL: "http://127.0.0.1:1", Collection: "Pass age"},
		{URL: "http://127.0.0.1:1", Collection: "Passage){Get"},
		{URL: "http://127.0.0.1:1", Collection: "1Passage"},
		{URL: "http://127.0.0.1:1", Collection: "Passage", Consistency: "SOME"},
		{URL: "ftp://127.0.0.1:1", Collection: "Passage"},
	} {
		if _, err := New(ctx, cfg); err == nil || !strings.Contains(err.Error(), "bad") {
			t.Errorf("%+v: error %v, want a refusal before connecting", cfg, err)
		}
	}
}
