package retrieval

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/internal/sharedtest"
	"github.com/footnote-bot/footnote/internal/synth"
	"github.com/footnote-bot/footnote/ireval"
)

func BenchmarkSearchSciFact(b *testing.B) {
	ix, qs := sciFact(b)
	b.ResetTimer()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ix.Search(qs[i%len(qs)].Text, 10, Options{})
	}
}

func BenchmarkParseQuerySciFact(b *testing.B) {
	dir := sharedtest.Path(b, "eval", "scifact")
	qs, _ := ireval.ReadQueries(filepath.Join(dir, "queries.jsonl"))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ParseQuery(qs[i%len(qs)].Text)
	}
}

func BenchmarkBuildSynthetic100k(b *testing.B) {
	docs := synthetic(100000, 9)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Build(docs, DefaultParams()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRankDocsSciFact: documents for a query, top 100, from the
// postings (what `search --trec --k 100` and `eval` run per query).
func BenchmarkRankDocsSciFact(b *testing.B) {
	ix, qs := sciFact(b)
	b.ResetTimer()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ix.RankDocs(qs[i%len(qs)].Text, 100, Options{})
	}
}

// BenchmarkRankSciFact: passage IDs and scores, top 10, no text read.
func BenchmarkRankSciFact(b *testing.B) {
	ix, qs := sciFact(b)
	b.ResetTimer()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ix.Rank(qs[i%len(qs)].Text, 10, Options{})
	}
}

// sciFact is the SciFact collection's index and queries.
func sciFact(b *testing.B) (*Index, []ireval.Query) {
	b.Helper()
	dir := sharedtest.Path(b, "eval", "scifact")
	res, err := corpus.LoadPaths(context.Background(), []string{filepath.Join(dir, "corpus.jsonl")}, corpus.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ix, err := Build(res.Documents, DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	qs, err := ireval.ReadQueries(filepath.Join(dir, "queries.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	return ix, qs
}

// BenchmarkRankFloor: Rank's cost (top 10, query text to passage numbers
// and scores, no text read) per posting of the query terms' lists, beside
// the streaming floor: the same lists read once, term at a time, each
// posting's score added into an array of partial scores the size of
// MaxScore's window (a passage at its number modulo the window, so the
// array stays in cache as the window does), with no query parsing,
// pruning, touched-passage bookkeeping or top k. rank/floor is how far ranking is from
// reading every posting once; below 1 means pruning skipped postings.
// The synthetic corpora are internal/synth's, as the bench's.
func BenchmarkRankFloor(b *testing.B) {
	for _, c := range []struct {
		name string
		open func(b *testing.B) (*Index, []string)
	}{
		{"scifact", func(b *testing.B) (*Index, []string) {
			ix, qs := sciFact(b)
			texts := make([]string, len(qs))
			for i, q := range qs {
				texts[i] = q.Text
			}
			return ix, texts
		}},
		{"synthetic10k", syntheticIndex(10_000)},
		{"synthetic1M", syntheticIndex(1_000_000)},
	} {
		b.Run(c.name, func(b *testing.B) {
			ix, qs := c.open(b)
			acc := make([]float64, maxWindow)
			var rankT, floorT time.Duration
			postings := 0
			for i := 0; i < b.N; i++ {
				q := qs[i%len(qs)]
				t0 := time.Now()
				ix.Rank(q, 10, Options{})
				t1 := time.Now()
				if ix.post16 != nil {
					postings += streamFloor(ix, cursors(ix, ix.post16, ix.ParseQuery(q), nil), acc, &floorT)
				} else {
					postings += streamFloor(ix, cursors(ix, ix.post, ix.ParseQuery(q), nil), acc, &floorT)
				}
				rankT += t1.Sub(t0)
			}
			b.ReportMetric(float64(rankT.Nanoseconds())/float64(postings), "rank-ns/posting")
			b.ReportMetric(float64(floorT.Nanoseconds())/float64(postings), "floor-ns/posting")
			b.ReportMetric(float64(rankT)/float64(floorT), "rank/floor")
			b.ReportMetric(float64(rankT.Microseconds())/float64(b.N), "rank-µs/query")
		})
	}
}

// streamFloor scores every posting of cs into acc, adding the time it
// took (from after the lists are opened) to *took, and returns how many
// postings it read.
func streamFloor[D docNum](ix *Index, cs []cursor[D], acc []float64, took *time.Duration) int {
	table := ix.table64
	n := 0
	start := time.Now()
	for _, c := range cs {
		w, imp := c.weight, c.imp
		for p, d := range c.docs {
			acc[uint32(d)&(maxWindow-1)] += w * table[imp[p]]
		}
		n += len(c.docs)
	}
	*took += time.Since(start)
	return n
}

func syntheticIndex(n int) func(b *testing.B) (*Index, []string) {
	return func(b *testing.B) (*Index, []string) {
		docs, qs := synth.Corpus(n, 1000)
		ix, err := Build(docs, DefaultParams())
		if err != nil {
			b.Fatal(err)
		}
		return ix, qs
	}
}
