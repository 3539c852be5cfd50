package retrieval

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/guide"
)

func hitIDs(hs []Hit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Passage.ID)
	}
	return out
}

// Rescore orders another engine's pool as SearchTerms orders the index:
// given the index's own wider results, shuffled, with a passage it does
// not hold and a duplicate, it gives back SearchTerms' first passages,
// scores and matched terms.
func TestRescoreOrdersAsSearch(t *testing.T) {
	res, err := corpus.LoadFS(context.Background(), guide.FS, guide.Root, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := Build(res.Documents, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		query string
		k     int
	}{
		{"how do I reload the articles", 5},
		{"discord intents", 5},
		{"environment variables configuration", 10},
		{"which sources are listed", 25},
		{"footnote", 1},
	}
	for _, tt := range tests {
		terms := ix.ParseQuery(tt.query)
		want := ix.SearchTerms(terms, tt.k, Options{})
		pool := ix.SearchTerms(terms, 4*tt.k, Options{})
		rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		pool = append(pool, Hit{Passage: corpus.Passage{ID: "not-here#1"}}, pool[0])
		for i := range pool {
			pool[i].Score, pool[i].Matched = 0, nil // what another engine says is not used
		}
		got := ix.Rescore(terms, pool)
		if len(got) < len(want) {
			t.Fatalf("%q: %d passages rescored, want at least %d", tt.query, len(got), len(want))
		}
		got = got[:len(want)]
		if !slices.Equal(hitIDs(got), hitIDs(want)) {
			t.Errorf("%q: rescored %v, searched %v", tt.query, hitIDs(got), hitIDs(want))
			continue
		}
		for i := range want {
			if d := got[i].Score - want[i].Score; d > 1e-9 || d < -1e-9 || !slices.Equal(got[i].Matched, want[i].Matched) {
				t.Errorf("%q: %s scored %v %v, searched %v %v", tt.query, want[i].Passage.ID, got[i].Score, got[i].Matched, want[i].Score, want[i].Matched)
			}
		}
	}
	if got := ix.Rescore(ix.ParseQuery("zzzunknownword"), ix.SearchTerms(ix.ParseQuery("footnote"), 5, Options{})); len(got) != 0 {
		t.Errorf("passages matching nothing of the query kept: %v", hitIDs(got))
	}
}

// TestBestPerDoc: documents ranked by their first (best) passage, each
// once, at most k.
func TestBestPerDoc(t *testing.T) {
	hit := func(doc string, score float64) Hit {
		return Hit{Passage: corpus.Passage{ID: doc + "#1", DocID: doc}, Score: score}
	}
	hits := []Hit{hit("a", 9), hit("b", 8), hit("a", 7), hit("c", 6), hit("b", 5), hit("d", 4)}
	tests := []struct {
		k    int
		want string
	}{{0, ""}, {1, "a"}, {3, "a b c"}, {10, "a b c d"}}
	for _, tt := range tests {
		var got []string
		for _, d := range BestPerDoc(hits, tt.k) {
			got = append(got, d.DocID)
			if d.Best.Passage.DocID != d.DocID || d.Score != d.Best.Score {
				t.Errorf("k=%d: %s has best %+v", tt.k, d.DocID, d.Best)
			}
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("k=%d: %q, want %q", tt.k, got, tt.want)
		}
	}
}

// TestTopKKeepsTheBest offers random candidates (many tied scores) to
// topK at several k: it keeps exactly the k best by better, as sorting
// everything does, and selectBest alone agrees.
func TestTopKKeepsTheBest(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range []int{1, 2, 3, 10, 100, 257} {
		for _, n := range []int{0, 1, k - 1, k, k + 1, 2 * k, 5*k + 3, 1000} {
			if n < 0 {
				continue
			}
			all := make([]scored, n)
			for i := range all {
				all[i] = scored{doc: uint32(i), score: float64(r.IntN(20))}
			}
			r.Shuffle(n, func(i, j int) { all[i], all[j] = all[j], all[i] })
			top := newTopK(k, nil)
			for _, s := range all {
				top.offer(s)
			}
			got := sortScored(slices.Clone(top.result()))
			want := sortScored(slices.Clone(all))[:min(k, n)]
			if !slices.Equal(got, want) {
				t.Fatalf("k %d, n %d: kept %v, want %v", k, n, got, want)
			}
			sel := slices.Clone(all)
			if n >= k {
				selectBest(sel, k)
				if got := sortScored(sel[:k]); !slices.Equal(got, want) {
					t.Fatalf("selectBest k %d, n %d: %v, want %v", k, n, got, want)
				}
			}
		}
	}
}
