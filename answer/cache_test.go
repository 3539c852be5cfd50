package answer

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/guide"
	"github.com/footnote-bot/footnote/prompts"
	"github.com/footnote-bot/footnote/retrieval"
)

// retrievals counts the searches the answer service makes.
type retrievals struct{ n atomic.Int64 }

func (r *retrievals) Retrieved(time.Duration)   { r.n.Add(1) }
func (r *retrievals) LLM(time.Duration, string) {}

func TestAnswerCache(t *testing.T) {
	ctx := context.Background()
	res, err := corpus.LoadFS(ctx, guide.FS, guide.Root, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := retrieval.Build(res.Documents, retrieval.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	live := retrieval.NewLive(ix)
	p, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	obs := &retrievals{}
	cache := NewLocalCache(16)
	now := time.Now()
	cache.now = func() time.Time { return now }
	svc := New(live.Load, p, Options{Observer: obs, Cache: cache, CacheTTL: time.Minute})
	ask := func(q string, earlier string) Answer {
		t.Helper()
		a, err := svc.Answer(ctx, Request{Question: q, Context: earlier})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	first := ask("How do I add an article?", "")
	if obs.n.Load() != 1 {
		t.Fatalf("%d searches for the first question", obs.n.Load())
	}
	// The same question, spaced and cased differently: from the cache.
	again := ask("  how do I   add an ARTICLE? ", "")
	if obs.n.Load() != 1 || again.Text != first.Text {
		t.Errorf("repeat was not served from the cache (%d searches)", obs.n.Load())
	}
	// A follow-up depends on the conversation: never cached.
	ask("How do I add an article?", "What is footnote?")
	if obs.n.Load() != 2 {
		t.Errorf("follow-up served from the cache (%d searches)", obs.n.Load())
	}
	// Expired: answered afresh.
	now = now.Add(2 * time.Minute)
	ask("How do I add an article?", "")
	if obs.n.Load() != 3 {
		t.Errorf("expired entry served (%d searches)", obs.n.Load())
	}
	// Another index (a reload that changed the articles): answered afresh.
	ix2, err := retrieval.Build(res.Documents[1:], retrieval.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if ix2.Fingerprint() == ix.Fingerprint() {
		t.Fatal("different articles, same fingerprint")
	}
	same, _ := retrieval.Build(res.Documents, retrieval.DefaultParams())
	if same.Fingerprint() != ix.Fingerprint() {
		t.Error("the same articles built twice have different fingerprints")
	}
	live.Store(ix2)
	ask("How do I add an article?", "")
	if obs.n.Load() != 4 {
		t.Errorf("answer cached against the old index served (%d searches)", obs.n.Load())
	}
	// Without a TTL nothing is cached.
	obs.n.Store(0)
	plain := New(live.Load, p, Options{Observer: obs, Cache: cache})
	for range 2 {
		if _, err := plain.Answer(ctx, Request{Question: "How do I add an article?"}); err != nil {
			t.Fatal(err)
		}
	}
	if obs.n.Load() != 2 {
		t.Errorf("with no TTL, %d searches for two questions, want 2", obs.n.Load())
	}
}

func TestLocalCacheKeepsTheLastUsed(t *testing.T) {
	ctx := context.Background()
	c := NewLocalCache(2)
	for _, k := range []string{"a", "b"} {
		if err := c.CacheAnswer(ctx, k, Answer{Text: k}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, _ := c.CachedAnswer(ctx, "a"); !ok { // a is now the last used
		t.Fatal("a not cached")
	}
	_ = c.CacheAnswer(ctx, "c", Answer{Text: "c"}, time.Minute)
	tests := []struct {
		key  string
		kept bool
	}{{"a", true}, {"b", false}, {"c", true}}
	for _, tt := range tests {
		a, ok, err := c.CachedAnswer(ctx, tt.key)
		if err != nil || ok != tt.kept || ok && a.Text != tt.key {
			t.Errorf("%s: %+v %v %v, want kept %v", tt.key, a, ok, err, tt.kept)
		}
	}
}
