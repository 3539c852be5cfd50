package retrieval

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/internal/sharedtest"
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
