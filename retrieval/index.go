// Package retrieval is footnote's keyword retriever: an in-memory inverted
// index over passages with BM25 scoring and MaxScore top-k evaluation.
//
// # Analysis
//
// Text is split into words (letters and digits, joined across an apostrophe
// between letters), folded (lower case, diacritics removed, curly and
// straight apostrophes alike, possessive 's dropped), stripped of the Snowball
// project's English stop words and stemmed with Snowball English
// (Porter2).
//
// # Scoring
//
// A passage p is scored for a query Q with BM25 (Robertson et al.), in the
// form Lucene uses:
//
//	score(p, Q) = Σ_{t ∈ Q} qtf(t) · idf(t) · tf(t,p)·(k1+1) / (tf(t,p) + k1·(1 − b + b·len(p)/avglen))
//	idf(t)      = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))
//
// where N is the number of passages, df(t) the number of passages containing
// t, qtf(t) how often t occurs in the query and len(p) the passage's length
// in terms. The passage is indexed as one field holding its text plus its
// document title and section heading; tf(t,p) counts a title occurrence
// TitleWeight times and a section occurrence SectionWeight times (a simple
// BM25F with equal length normalisation). Defaults: k1 = 1.2, b = 0.75
// (Robertson's and Lucene's defaults), TitleWeight = 2, SectionWeight = 1.
//
// # Query evaluation
//
// Postings are sorted by passage number. Search evaluates document-at-a-time
// with MaxScore: terms are ordered by their score upper bound, and the terms
// whose summed upper bounds cannot lift a passage into the current top k are
// only probed (by binary search) for passages the other terms already found.
// Results are exactly those of exhaustive scoring.
//
// An Index is immutable once built, so any number of goroutines may search
// it; Live swaps a new index in atomically on reload.
package retrieval

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/footnote-bot/footnote/corpus"
)

// Params are the scoring parameters.
type Params struct {
	K1            float64 `json:"k1"`
	B             float64 `json:"b"`
	TitleWeight   int     `json:"title_weight"`
	SectionWeight int     `json:"section_weight"`
}

// DefaultParams are the textbook BM25 settings (k1 1.2, b 0.75) with the
// document title counted twice and the section heading once. README's
// "Retrieval quality" table records what each choice did.
func DefaultParams() Params { return Params{K1: 1.2, B: 0.75, TitleWeight: 2, SectionWeight: 1} }

// DocInfo describes one document of the index.
type DocInfo struct {
	ID       string
	Title    string
	URL      string
	Author   string
	Date     string
	Source   string
	Sections []string
	First    int // index of its first passage
	Count    int // number of passages
}

// posting list for one term.
type postings struct {
	Docs []uint32 // passage numbers, ascending
	TFs  []uint16 // weighted term frequency
}

// Index is an immutable BM25 index over passages.
type Index struct {
	params   Params
	passages []corpus.Passage
	docOf    []uint32 // passage → document number
	docs     []DocInfo
	docByID  map[string]int
	byID     map[string]int // passage ID → passage number
	terms    map[string]uint32
	lists    []postings
	lens     []uint32
	avgLen   float64
	// derived at build and load time
	sorted []string // terms in order, for prefix completion
	// accs recycles term-at-a-time accumulators across queries (a
	// sync.Pool would drop these large buffers at every GC).
	accs chan *accumulator
	// forceStrategy pins query evaluation in tests (0 = choose).
	forceStrategy int
	idf           []float64
	ub            []float64   // per-term score upper bound (qtf 1)
	impact        [][]float32 // per posting: tf·(k1+1)/(tf + norm), parallel to lists
	// stems caches query-time stemming (bounded).
	stems     sync.Map
	stemCount atomic.Int64
	norm      []float32 // per-passage k1·(1 − b + b·len/avglen)
}

// Build indexes the documents' passages.
func Build(docs []corpus.Document, p Params) (*Index, error) {
	return BuildProgress(docs, p, nil)
}

// BuildProgress is Build reporting the passages indexed so far (every few
// thousand) to progress, which may be nil.
func BuildProgress(docs []corpus.Document, p Params, progress func(done, total int)) (*Index, error) {
	total := 0
	for _, d := range docs {
		total += len(d.Passages)
	}
	if p.K1 <= 0 || p.B < 0 || p.B > 1 || p.TitleWeight < 0 || p.SectionWeight < 0 {
		return nil, fmt.Errorf("retrieval: bad parameters %+v (want k1 > 0, 0 ≤ b ≤ 1, weights ≥ 0)", p)
	}
	ix := &Index{params: p, terms: map[string]uint32{}, docByID: map[string]int{}, byID: map[string]int{}}
	cache := stemCache{}
	var buf, tbuf, sbuf []string
	counts := map[uint32]uint32{}
	for di, d := range docs {
		if _, dup := ix.docByID[d.ID]; dup {
			return nil, fmt.Errorf("retrieval: duplicate document ID %q", d.ID)
		}
		ix.docByID[d.ID] = di
		ix.docs = append(ix.docs, DocInfo{ID: d.ID, Title: d.Title, URL: d.URL, Author: d.Author, Date: d.Date,
			Source: d.Source, Sections: d.Sections, First: len(ix.passages), Count: len(d.Passages)})
		tbuf = cache.analyze(d.Title, tbuf[:0])
		section := ""
		for _, ps := range d.Passages {
			if _, dup := ix.byID[ps.ID]; dup {
				return nil, fmt.Errorf("retrieval: duplicate passage ID %q", ps.ID)
			}
			pn := uint32(len(ix.passages))
			ix.byID[ps.ID] = int(pn)
			ix.passages = append(ix.passages, ps)
			ix.docOf = append(ix.docOf, uint32(di))
			if ps.Section != section || sbuf == nil {
				section = ps.Section
				sbuf = cache.analyze(section, sbuf[:0])
			}
			clear(counts)
			buf = cache.analyze(ps.Text, buf[:0])
			length := len(buf)
			add := func(terms []string, w int) {
				for _, t := range terms {
					id, ok := ix.terms[t]
					if !ok {
						id = uint32(len(ix.lists))
						ix.terms[t] = id
						ix.lists = append(ix.lists, postings{})
					}
					counts[id] += uint32(w)
				}
			}
			add(buf, 1)
			if p.TitleWeight > 0 {
				add(tbuf, p.TitleWeight)
				length += len(tbuf) * p.TitleWeight
			}
			if p.SectionWeight > 0 && ps.Section != "" {
				add(sbuf, p.SectionWeight)
				length += len(sbuf) * p.SectionWeight
			}
			for id, c := range counts {
				if c > math.MaxUint16 {
					c = math.MaxUint16
				}
				l := &ix.lists[id]
				l.Docs = append(l.Docs, pn)
				l.TFs = append(l.TFs, uint16(c))
			}
			ix.lens = append(ix.lens, uint32(length))
			if progress != nil && len(ix.lens)%4096 == 0 {
				progress(len(ix.lens), total)
			}
		}
	}
	ix.finish()
	if progress != nil {
		progress(total, total)
	}
	return ix, nil
}

// finish computes the derived statistics.
func (ix *Index) finish() {
	var total float64
	for _, l := range ix.lens {
		total += float64(l)
	}
	n := len(ix.lens)
	ix.avgLen = 1
	if n > 0 && total > 0 {
		ix.avgLen = total / float64(n)
	}
	k1, b := ix.params.K1, ix.params.B
	ix.norm = make([]float32, n)
	for i, l := range ix.lens {
		ix.norm[i] = float32(k1 * (1 - b + b*float64(l)/ix.avgLen))
	}
	ix.idf = make([]float64, len(ix.lists))
	ix.ub = make([]float64, len(ix.lists))
	ix.impact = make([][]float32, len(ix.lists))
	for t, l := range ix.lists {
		df := float64(len(l.Docs))
		ix.idf[t] = math.Log(1 + (float64(n)-df+0.5)/(df+0.5))
		best := 0.0
		imp := make([]float32, len(l.Docs))
		for i, d := range l.Docs {
			tf := float64(l.TFs[i])
			s := tf * (k1 + 1) / (tf + float64(ix.norm[d]))
			imp[i] = float32(s)
			if s > best {
				best = s
			}
		}
		ix.impact[t] = imp
		ix.ub[t] = ix.idf[t] * best
	}
	ix.accs = make(chan *accumulator, 2*runtime.GOMAXPROCS(0))
	ix.sorted = make([]string, 0, len(ix.terms))
	for t := range ix.terms {
		ix.sorted = append(ix.sorted, t)
	}
	sort.Strings(ix.sorted)
	if ix.byID == nil || len(ix.byID) != len(ix.passages) {
		ix.byID = make(map[string]int, len(ix.passages))
		for i, p := range ix.passages {
			ix.byID[p.ID] = i
		}
	}
	if len(ix.docByID) != len(ix.docs) {
		ix.docByID = make(map[string]int, len(ix.docs))
		for i, d := range ix.docs {
			ix.docByID[d.ID] = i
		}
	}
}

// Params reports the scoring parameters.
func (ix *Index) Params() Params { return ix.params }

// Len is the number of passages.
func (ix *Index) Len() int { return len(ix.passages) }

// Docs lists the documents in load order.
func (ix *Index) Docs() []DocInfo { return ix.docs }

// Doc finds a document by ID.
func (ix *Index) Doc(id string) (DocInfo, bool) {
	i, ok := ix.docByID[id]
	if !ok {
		return DocInfo{}, false
	}
	return ix.docs[i], true
}

// Passage finds a passage by ID.
func (ix *Index) Passage(id string) (corpus.Passage, bool) {
	i, ok := ix.byID[id]
	if !ok {
		return corpus.Passage{}, false
	}
	return ix.passages[i], true
}

// PassageAt returns passage number i.
func (ix *Index) PassageAt(i int) corpus.Passage { return ix.passages[i] }

// DocPassages returns a document's passages in order.
func (ix *Index) DocPassages(id string) []corpus.Passage {
	d, ok := ix.Doc(id)
	if !ok {
		return nil
	}
	return ix.passages[d.First : d.First+d.Count]
}

// IDF returns the inverse document frequency of an analysed term, and
// whether the index has it. A term the index lacks gets the IDF of a term
// found in no passage.
func (ix *Index) IDF(term string) (float64, bool) {
	if id, ok := ix.terms[term]; ok {
		return ix.idf[id], true
	}
	n := float64(len(ix.passages))
	return math.Log(1 + (n+0.5)/0.5), false
}

// Live holds the index being served; readers Load it, a reload Stores a new
// one, and searches already running finish on the index they started with.
type Live struct{ p atomic.Pointer[Index] }

// NewLive holds ix.
func NewLive(ix *Index) *Live {
	l := &Live{}
	l.p.Store(ix)
	return l
}

// Load returns the current index.
func (l *Live) Load() *Index { return l.p.Load() }

// Store swaps in a new index.
func (l *Live) Store(ix *Index) { l.p.Store(ix) }

// TermsWithPrefix returns up to n index terms that begin with the folded
// word prefix, most frequent first (for autocomplete).
func (ix *Index) TermsWithPrefix(prefix string, n int) []string {
	if prefix == "" || n <= 0 {
		return nil
	}
	i := sort.SearchStrings(ix.sorted, prefix)
	var out []string
	for ; i < len(ix.sorted) && strings.HasPrefix(ix.sorted[i], prefix); i++ {
		out = append(out, ix.sorted[i])
		if len(out) >= 200 {
			break
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		return len(ix.lists[ix.terms[out[a]]].Docs) > len(ix.lists[ix.terms[out[b]]].Docs)
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
