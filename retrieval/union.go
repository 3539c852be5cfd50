package retrieval

import (
	"math"
	"slices"
	"sort"
	"sync"

	"github.com/footnote-bot/footnote/corpus"
)

// Union searches two indexes as one collection: a server's own articles
// (own, a small index built and rebuilt alone) together with the articles
// every server shares (shared, built once). The shared index is not
// copied or rebuilt for the union.
//
// Scores compare across the two because both are scored with the
// collection's statistics: a term's IDF comes from the passages of both
// indexes and its document frequency in both,
//
//	idf(t) = ln(1 + (N_shared + N_own − df_shared(t) − df_own(t) + 0.5) / (df_shared(t) + df_own(t) + 0.5))
//
// which is what one index over all of the passages would give. (Each
// index's search is handed query weights scaled by idf(t) / its own idf(t),
// so the scoring loops are the indexes' own.) Length normalisation stays
// each index's own (its average passage length), the one difference from a
// single index over everything.
//
// Passages are numbered shared first, then own; a document ID names a
// document of the own index first (IDs of the two should not overlap: a
// server's articles carry its prefix).
type Union struct {
	shared, own *Index
	fpOnce      sync.Once
	fp          string
}

// NewUnion searches own together with shared. Either may be nil (no
// articles there).
func NewUnion(shared, own *Index) *Union {
	if shared == nil {
		shared = emptyIndex()
	}
	if own == nil {
		own = emptyIndex()
	}
	return &Union{shared: shared, own: own}
}

var (
	emptyOnce sync.Once
	empty     *Index
)

// emptyIndex is an index of nothing, shared by every union that lacks a
// side.
func emptyIndex() *Index {
	emptyOnce.Do(func() {
		var err error
		if empty, err = Build(nil, DefaultParams()); err != nil {
			panic(err) // an empty build cannot fail
		}
	})
	return empty
}

// df is the number of passages holding an analysed term.
func (ix *Index) df(term string) int {
	if id, ok := ix.lookup(term); ok {
		return int(ix.start[id+1] - ix.start[id])
	}
	return 0
}

// Len is the number of passages of both.
func (u *Union) Len() int { return u.shared.Len() + u.own.Len() }

// IDF is a term's inverse document frequency over both indexes, and
// whether either has it.
func (u *Union) IDF(term string) (float64, bool) {
	df := u.shared.df(term) + u.own.df(term)
	n := float64(u.Len())
	return math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5)), df > 0
}

// scaled gives ix the query weights that make its scores the union's.
func (u *Union) scaled(ix *Index, q []QueryTerm) []QueryTerm {
	out := make([]QueryTerm, 0, len(q))
	for _, t := range q {
		id, ok := ix.lookup(t.Term)
		if !ok {
			continue // ix cannot match it
		}
		idf, _ := u.IDF(t.Term)
		out = append(out, QueryTerm{Term: t.Term, Weight: t.Weight * idf / ix.idf(id)})
	}
	return out
}

// merge keeps the k best hits of both, best first; on a tie the shared
// index's passage goes first, as it is numbered first.
func merge(a, b []Hit, k int) []Hit {
	out := make([]Hit, 0, len(a)+len(b))
	i, j := 0, 0
	for len(out) < k && (i < len(a) || j < len(b)) {
		if j >= len(b) || i < len(a) && a[i].Score >= b[j].Score {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	return out
}

// SearchTerms returns the k best passages of both indexes for q.
func (u *Union) SearchTerms(q []QueryTerm, k int, opt Options) []Hit {
	return merge(u.shared.SearchTerms(u.scaled(u.shared, q), k, opt), u.own.SearchTerms(u.scaled(u.own, q), k, opt), k)
}

// Rescore scores hits (from either index) for q as SearchTerms would.
func (u *Union) Rescore(q []QueryTerm, hits []Hit) []Hit {
	var a, b []Hit
	for _, h := range hits {
		if _, ok := u.own.store.find(h.Passage.ID); ok {
			b = append(b, h)
		} else {
			a = append(a, h)
		}
	}
	return merge(u.shared.Rescore(u.scaled(u.shared, q), a), u.own.Rescore(u.scaled(u.own, q), b), len(hits))
}

// ParseQuery analyses a query (both indexes analyse text alike).
func (u *Union) ParseQuery(q string) []QueryTerm { return u.shared.ParseQuery(q) }

// Stem stems a folded word.
func (u *Union) Stem(w string) string { return u.shared.Stem(w) }

// Spellings returns the terms of either index that are a word's other
// spellings.
func (u *Union) Spellings(word string) []string {
	return union(u.shared.Spellings(word), u.own.Spellings(word))
}

// Derived returns the derivational variants either index has.
func (u *Union) Derived(term string) []string {
	return union(u.shared.Derived(term), u.own.Derived(term))
}

// Correct finds the closest term of either index (fewer edits, then the
// more passages over both); none when either has the word's stem.
func (u *Union) Correct(word string) (Correction, bool) {
	stem := u.Stem(word)
	if u.shared.df(stem) > 0 || u.own.df(stem) > 0 {
		return Correction{}, false
	}
	a, okA := u.shared.Correct(word)
	b, okB := u.own.Correct(word)
	switch {
	case okA && okB:
		a.DF += u.own.df(a.Term)
		b.DF += u.shared.df(b.Term)
		if b.Edits < a.Edits || b.Edits == a.Edits && b.DF > a.DF {
			return b, true
		}
		return a, true
	case okA:
		a.DF += u.own.df(a.Term)
		return a, true
	case okB:
		b.DF += u.shared.df(b.Term)
		return b, true
	}
	return Correction{}, false
}

// TermsWithPrefix returns up to n terms of either index beginning with
// prefix, the more passages over both first.
func (u *Union) TermsWithPrefix(prefix string, n int) []string {
	terms := union(u.shared.TermsWithPrefix(prefix, n), u.own.TermsWithPrefix(prefix, n))
	sort.SliceStable(terms, func(i, j int) bool {
		return u.shared.df(terms[i])+u.own.df(terms[i]) > u.shared.df(terms[j])+u.own.df(terms[j])
	})
	if len(terms) > n {
		terms = terms[:n]
	}
	return terms
}

// Docs lists the shared documents, then the own ones (their First
// counted in the union's numbering).
func (u *Union) Docs() []DocInfo {
	out := slices.Clone(u.shared.Docs())
	off := u.shared.Len()
	for _, d := range u.own.Docs() {
		d.First += off
		out = append(out, d)
	}
	return out
}

// Doc finds a document by ID.
func (u *Union) Doc(id string) (DocInfo, bool) {
	if d, ok := u.own.Doc(id); ok {
		d.First += u.shared.Len()
		return d, true
	}
	return u.shared.Doc(id)
}

// side is the index holding document id.
func (u *Union) side(id string) *Index {
	if _, ok := u.own.Doc(id); ok {
		return u.own
	}
	return u.shared
}

// DocPassages returns a document's passages in order.
func (u *Union) DocPassages(id string) []corpus.Passage { return u.side(id).DocPassages(id) }

// InDoc reports whether a document holds an analysed term.
func (u *Union) InDoc(term, docID string) bool { return u.side(docID).InDoc(term, docID) }

// Passage finds a passage by ID.
func (u *Union) Passage(id string) (corpus.Passage, bool) {
	if p, ok := u.own.Passage(id); ok {
		return p, true
	}
	return u.shared.Passage(id)
}

// Neighbour returns the passage delta places from id within its document.
func (u *Union) Neighbour(id string, delta int) (corpus.Passage, bool) {
	if _, ok := u.own.store.find(id); ok {
		return u.own.Neighbour(id, delta)
	}
	return u.shared.Neighbour(id, delta)
}

// PassageAt returns passage number i of the union.
func (u *Union) PassageAt(i int) corpus.Passage {
	if n := u.shared.Len(); i >= n {
		return u.own.PassageAt(i - n)
	}
	return u.shared.PassageAt(i)
}

// Fingerprint identifies the union's contents: both indexes'.
func (u *Union) Fingerprint() string {
	u.fpOnce.Do(func() { u.fp = u.shared.Fingerprint() + "+" + u.own.Fingerprint() })
	return u.fp
}

// union appends b's strings that a lacks.
func union(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}
