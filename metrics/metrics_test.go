package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestEndpoints(t *testing.T) {
	m := New()
	var ready atomic.Bool
	srv := httptest.NewServer(m.Handler(ready.Load))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, _ := get("/readyz"); code != 503 {
		t.Errorf("/readyz before ready = %d, want 503", code)
	}
	ready.Store(true)
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("/readyz when ready = %d", code)
	}
	m.Question("ask", "abstained", 3*time.Millisecond)
	m.Vote(false)
	m.Reconnect()
	m.RateLimited("edit original response")
	m.LLM(2*time.Second, "it took too long")
	m.Retrieved(time.Millisecond)
	_, body := get("/metrics")
	for _, want := range []string{
		`footnote_questions_total{command="ask",outcome="abstained"} 1`,
		`footnote_abstentions_total 1`,
		`footnote_feedback_votes_total{vote="down"} 1`,
		`footnote_gateway_reconnects_total 1`,
		`footnote_rate_limited_total{route="edit original response"} 1`,
		`footnote_llm_errors_total{reason="it took too long"} 1`,
		`footnote_llm_seconds_count 1`,
		`footnote_retrieval_seconds_count 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
