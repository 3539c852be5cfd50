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
// Postings are sorted by passage number. Search evaluates with MaxScore,
// window by window of passage numbers: terms are ordered by their score
// upper bound; the essential terms are scored term at a time into a window
// of partial scores; the terms whose summed upper bounds cannot lift a
// passage into the current top k are not read, only probed (galloping
// search) for the passages the essential terms found that could still make
// it, and only when their lists are much longer than the essential ones
// (otherwise reading them into the window is cheaper). Results are exactly
// those of exhaustive scoring.
//
// An Index is immutable once built, so any number of goroutines may search
// it; Live swaps a new index in atomically on reload.
package retrieval

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc64"
	"math"
	"runtime"
	"slices"
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

// check reports whether the parameters make sense (for Build, and for
// files read from disk).
func (p Params) check() error {
	if !(p.K1 > 0) || math.IsInf(p.K1, 0) || !(p.B >= 0 && p.B <= 1) || p.TitleWeight < 0 || p.SectionWeight < 0 {
		return fmt.Errorf("bad parameters %+v (want k1 > 0, 0 ≤ b ≤ 1, weights ≥ 0)", p)
	}
	return nil
}

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

// Index is an immutable BM25 index over passages.
type Index struct {
	params Params
	store  *passageStore
	docOf  []uint32 // passage → document number
	docs   []DocInfo
	byID   []uint32 // document numbers in ID order
	// The terms, sorted: term t is termText[termEnd[t-1]:termEnd[t]]; its
	// postings are the passages post[start[t]:start[t+1]] (or post16's;
	// ascending), with impact codes imp[start[t]:start[t+1]].
	termText []byte
	termEnd  []uint32
	start    []uint32
	post     []uint32 // passage numbers, when there are more than 65,536
	post16   []uint16 // passage numbers, when there are at most 65,536
	imp      []uint16
	lens     []uint32
	avgLen   float64
	// table holds the distinct values of the BM25 tf part
	// tf·(k1+1)/(tf + k1·(1 − b + b·len/avglen)), ascending; postings keep a
	// 16-bit code into it. Past 65,536 distinct values the codes are
	// quantiles of them (see impactTable).
	table   []float32
	table64 []float64 // table as float64, for the scoring loops
	// derived at build and load time
	// wins recycles MaxScore's windows across queries (a sync.Pool
	// would drop these large buffers at every GC).
	wins chan *window
	// windowBits and seekFactor tune MaxScore (maxWindowBits and
	// seekFactor; tests shrink the window and force the seeking).
	windowBits int
	seekFactor int
	// denseMax: an index of at most this many passages is ranked by
	// scoring every posting (dense; maxWindow, tests set 0 to force
	// MaxScore).
	denseMax int
	// termOK is per term 0 while its postings are unchecked (an index
	// read from a file checks each term's when a query first reads them),
	// then its largest impact code + 1, or badPostings.
	termOK []atomic.Uint32
	// queries remembers query words' stems and stems' term numbers.
	queries queryCache
	// sums are the section checksums of the file the index was read
	// from (nil for a build); the fingerprint is made of them.
	sums *[numSections]uint32
	// fingerprint of the contents, computed on first use.
	fpOnce sync.Once
	fp     string
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
	b, err := NewBuilder(p)
	if err != nil {
		return nil, err
	}
	if progress != nil {
		b.Progress = func(done int) { progress(done, total) }
	}
	if err := b.Add(docs); err != nil {
		return nil, err
	}
	return b.Finish()
}

// A Builder builds an index from documents added a batch at a time, so
// that a corpus larger than memory can be indexed from a stream: it keeps
// what the index keeps (the passages' text compressed in blocks, each
// term's postings compactly coded, the per-passage tables), never the
// documents it was given. Add's documents may be dropped once it returns.
// A Builder is used from one goroutine; after an error it is done.
type Builder struct {
	// Progress, when set, is called with the passages indexed so far
	// (every few thousand, and after each Add).
	Progress func(done int)

	ix       *Index
	store    *storeBuilder
	seenDoc  map[string]struct{}
	seen     map[string]struct{}
	terms    map[string]uint32
	lists    buildLists // postings per term, compact while building
	pn       uint32
	counts   []uint32 // weighted term frequencies in the passage, by term
	touched  []uint32 // the terms counted in the passage
	err      error
	finished bool
}

// NewBuilder starts an index with parameters p.
func NewBuilder(p Params) (*Builder, error) {
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("retrieval: %w", err)
	}
	return &Builder{ix: &Index{params: p}, store: newStoreBuilder(), seenDoc: map[string]struct{}{},
		seen: map[string]struct{}{}, terms: map[string]uint32{}}, nil
}

// Passages is how many passages have been added.
func (b *Builder) Passages() int { return int(b.pn) }

// Add indexes a batch of documents, analysing them on every core. A
// document or passage ID already added fails the build.
func (b *Builder) Add(docs []corpus.Document) error {
	if b.err != nil {
		return b.err
	}
	if b.finished {
		return errors.New("retrieval: Add after Finish")
	}
	if err := b.add(docs); err != nil {
		b.err = err
		b.store.finish()
		return err
	}
	if b.Progress != nil {
		b.Progress(int(b.pn))
	}
	return nil
}

func (b *Builder) add(docs []corpus.Document) error {
	ix, p, store, terms := b.ix, b.ix.params, b.store, b.terms
	an := analyzeAll(docs)
	defer an.stop()
	var chunk []analyzed
	for _, d := range docs {
		if len(chunk) == 0 {
			chunk = an.next()
		}
		a := chunk[0]
		chunk = chunk[1:]
		if _, dup := b.seenDoc[d.ID]; dup {
			return fmt.Errorf("retrieval: duplicate document ID %q", d.ID)
		}
		// Clone: a loader's strings may be slices of a whole file, which
		// the index must not keep alive.
		b.seenDoc[strings.Clone(d.ID)] = struct{}{}
		di := len(ix.docs)
		sections := make([]string, len(d.Sections))
		for i, sec := range d.Sections {
			sections[i] = store.str(sec)
		}
		ix.docs = append(ix.docs, DocInfo{ID: strings.Clone(d.ID), Title: store.str(d.Title), URL: store.str(d.URL),
			Author: store.str(d.Author), Date: store.str(d.Date), Source: store.str(d.Source),
			Sections: sections, First: int(b.pn), Count: len(d.Passages)})
		tbuf := a.title
		for j, ps := range d.Passages {
			if _, dup := b.seen[ps.ID]; dup {
				return fmt.Errorf("retrieval: duplicate passage ID %q", ps.ID)
			}
			b.seen[strings.Clone(ps.ID)] = struct{}{}
			store.add(ps)
			ix.docOf = append(ix.docOf, uint32(di))
			sbuf, buf := a.section[j], a.body[j]
			length := len(buf)
			add := func(words []*stemmed, w int) {
				for _, t := range words {
					if t.term == 0 {
						id, ok := terms[t.stem]
						if !ok {
							id = b.lists.newTerm()
							terms[strings.Clone(t.stem)] = id
							b.counts = append(b.counts, 0)
						}
						t.term = id + 1
					}
					id := t.term - 1
					if b.counts[id] == 0 {
						b.touched = append(b.touched, id)
					}
					b.counts[id] += uint32(w)
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
			for _, id := range b.touched {
				c := min(b.counts[id], math.MaxUint16)
				b.counts[id] = 0
				b.lists.add(id, b.pn, uint16(c))
			}
			b.touched = b.touched[:0]
			ix.lens = append(ix.lens, uint32(length))
			b.pn++
			if b.Progress != nil && b.pn%4096 == 0 {
				b.Progress(int(b.pn))
			}
		}
	}
	return nil
}

// Finish lays the index out and returns it; the Builder is done.
func (b *Builder) Finish() (*Index, error) {
	if b.err != nil {
		return nil, b.err
	}
	if b.finished {
		return nil, errors.New("retrieval: Finish called twice")
	}
	b.finished = true
	ix := b.ix
	b.seen, b.seenDoc, b.counts, b.touched = nil, nil, nil, nil
	ix.store = b.store.finish()
	ix.docOf, ix.lens, ix.docs = trimmed(ix.docOf), trimmed(ix.lens), trimmed(ix.docs)
	// What the adds left (the documents' batches, their analysis) is
	// collected before pack allocates the flat postings (6 bytes each), so
	// that they reuse its memory: at 1M passages this is the build's peak.
	runtime.GC()
	if err := ix.pack(b.terms, &b.lists); err != nil {
		return nil, err
	}
	b.terms, b.lists = nil, buildLists{}
	ix.finish()
	ix.checkTerms()
	if b.Progress != nil {
		b.Progress(int(b.pn))
	}
	return ix, nil
}

// analyzed is one document analysed: its title's terms and each passage's
// section and body terms.
type analyzed struct {
	title   []*stemmed
	section [][]*stemmed
	body    [][]*stemmed
}

// analysis analyses documents on every core, ahead of the (sequential)
// indexing, handing out chunks of documents in order.
type analysis struct {
	results []chan []analyzed
	i       int
	tokens  chan struct{}
	done    chan struct{}
}

// chunkPassages is about how many passages one analysis job covers.
const chunkPassages = 256

func analyzeAll(docs []corpus.Document) *analysis {
	var bounds []int // chunk c is docs[bounds[c]:bounds[c+1]]
	n := 0
	for i, d := range docs {
		if n == 0 {
			bounds = append(bounds, i)
		}
		n += len(d.Passages) + 1
		if n >= chunkPassages {
			n = 0
		}
	}
	bounds = append(bounds, len(docs))
	a := &analysis{results: make([]chan []analyzed, len(bounds)-1), done: make(chan struct{})}
	for c := range a.results {
		a.results[c] = make(chan []analyzed, 1)
	}
	workers := runtime.GOMAXPROCS(0)
	// A chunk takes a token when it is handed out and gives it back when
	// indexing consumes it, so analysis runs at most a few chunks ahead.
	tokens := make(chan struct{}, 2*workers+2)
	jobs := make(chan int)
	go func() {
		defer close(jobs)
		for c := range a.results {
			select {
			case tokens <- struct{}{}:
			case <-a.done:
				return
			}
			select {
			case jobs <- c:
			case <-a.done:
				return
			}
		}
	}()
	for range workers {
		go func() {
			cache := stemCache{}
			for c := range jobs {
				out := make([]analyzed, 0, bounds[c+1]-bounds[c])
				for _, d := range docs[bounds[c]:bounds[c+1]] {
					x := analyzed{title: cache.analyze(d.Title, nil), section: make([][]*stemmed, len(d.Passages)),
						body: make([][]*stemmed, len(d.Passages))}
					for j, p := range d.Passages {
						if j > 0 && p.Section == d.Passages[j-1].Section {
							x.section[j] = x.section[j-1]
						} else {
							x.section[j] = cache.analyze(p.Section, nil)
						}
						x.body[j] = cache.analyze(p.Text, nil)
					}
					out = append(out, x)
				}
				a.results[c] <- out
			}
		}()
	}
	a.tokens = tokens
	return a
}

// next returns the next chunk's documents, in order.
func (a *analysis) next() []analyzed {
	out := <-a.results[a.i]
	a.i++
	<-a.tokens
	return out
}

// stop ends the analysis early (or after the last chunk).
func (a *analysis) stop() { close(a.done) }

// pack computes the BM25 tf part of every posting, builds the table of its
// distinct values, and lays the terms and postings out flat and sorted.
func (ix *Index) pack(terms map[string]uint32, lists *buildLists) error {
	var total float64
	for _, l := range ix.lens {
		total += float64(l)
	}
	ix.avgLen = 1
	if n := len(ix.lens); n > 0 && total > 0 {
		ix.avgLen = total / float64(n)
	}
	postings, textLen := lists.total, 0
	if postings > math.MaxUint32 {
		return fmt.Errorf("retrieval: %d postings, more than one index holds (%d); split the corpus", postings, uint32(math.MaxUint32))
	}
	codeOf := ix.impactCodes(lists, 1<<24)
	names := make([]string, 0, len(terms))
	for t := range terms {
		names = append(names, t)
		textLen += len(t)
	}
	sort.Strings(names)
	ix.termText = make([]byte, 0, textLen)
	ix.termEnd = make([]uint32, 0, len(names))
	ix.start = make([]uint32, 1, len(names)+1)
	narrow := narrowPostings(len(ix.lens))
	if narrow {
		ix.post16 = make([]uint16, 0, postings)
	} else {
		ix.post = make([]uint32, 0, postings)
	}
	ix.imp = make([]uint16, 0, postings)
	for _, name := range names {
		id := terms[name]
		ix.termText = append(ix.termText, name...)
		ix.termEnd = append(ix.termEnd, uint32(len(ix.termText)))
		for r := lists.reader(id); r.more(); {
			d, tf := r.next()
			if narrow {
				ix.post16 = append(ix.post16, uint16(d))
			} else {
				ix.post = append(ix.post, d)
			}
			ix.imp = append(ix.imp, codeOf(tf, d))
		}
		ix.start = append(ix.start, uint32(len(ix.imp)))
		lists.data[id] = nil
	}
	return nil
}

// narrowPostings reports whether an index of n passages keeps 16-bit
// passage numbers in its postings (half the memory of 32-bit ones).
func narrowPostings(n int) bool { return n <= 1<<16 }

// buildLists holds the postings while an index is built, compactly (about
// a quarter of the flat arrays they end up in, which keeps the build's
// peak memory down): per term, each posting as the uvarint of its gap from
// the previous passage number, shifted left one bit, with the low bit set
// when a uvarint of its weighted tf (> 1) follows.
type buildLists struct {
	data  [][]byte
	next  []uint32 // per term, its last passage number + 1
	total int      // postings
	maxTF uint16
}

// newTerm adds a term with no postings and returns its number.
func (b *buildLists) newTerm() uint32 {
	b.data = append(b.data, nil)
	b.next = append(b.next, 0)
	return uint32(len(b.data) - 1)
}

// add appends passage d, with weighted tf, to term t's postings; d must
// exceed the term's previous passage.
func (b *buildLists) add(t, d uint32, tf uint16) {
	v := uint64(d+1-b.next[t]) << 1
	if tf > 1 {
		v |= 1
	}
	buf := binary.AppendUvarint(b.data[t], v)
	if tf > 1 {
		buf = binary.AppendUvarint(buf, uint64(tf))
	}
	b.data[t], b.next[t] = buf, d+1
	b.total++
	b.maxTF = max(b.maxTF, tf)
}

// listReader decodes one term's postings in order.
type listReader struct {
	b     []byte
	after uint32 // previous passage + 1
}

func (b *buildLists) reader(t uint32) listReader { return listReader{b: b.data[t]} }

func (r *listReader) more() bool { return len(r.b) > 0 }

func (r *listReader) next() (d uint32, tf uint16) {
	v, n := binary.Uvarint(r.b)
	r.b = r.b[n:]
	tf = 1
	if v&1 != 0 {
		t, m := binary.Uvarint(r.b)
		r.b = r.b[m:]
		tf = uint16(t)
	}
	r.after += uint32(v >> 1)
	return r.after - 1, tf
}

// impactCodes fills ix.table with the distinct values of the BM25 tf part
// over all postings and returns the function that codes a posting (its
// weighted tf and passage). The tf part depends only on tf and the
// passage's length, so it is computed once per (tf, length) pair seen, in
// a dense table when the pairs are few (always, for paragraph-sized
// passages) and a map otherwise.
func (ix *Index) impactCodes(lists *buildLists, denseLimit int) func(tf uint16, d uint32) uint16 {
	k1, b := ix.params.K1, ix.params.B
	impactOf := func(tf uint16, length uint32) float32 {
		norm := float32(k1 * (1 - b + b*float64(length)/ix.avgLen))
		return float32(float64(tf) * (k1 + 1) / (float64(tf) + float64(norm)))
	}
	// Number the distinct lengths.
	lenID := map[uint32]uint32{}
	for _, l := range ix.lens {
		if _, ok := lenID[l]; !ok {
			lenID[l] = uint32(len(lenID))
		}
	}
	pairs := (int(lists.maxTF) + 1) * len(lenID)
	if pairs <= denseLimit {
		passLen := make([]uint32, len(ix.lens))
		lens := make([]uint32, len(lenID))
		for i, l := range ix.lens {
			passLen[i] = lenID[l]
			lens[lenID[l]] = l
		}
		nl := uint32(len(lenID))
		used := make([]bool, pairs)
		for t := range lists.data {
			for r := lists.reader(uint32(t)); r.more(); {
				d, tf := r.next()
				used[uint32(tf)*nl+passLen[d]] = true
			}
		}
		distinct := map[float32]struct{}{}
		for key, u := range used {
			if u {
				distinct[impactOf(uint16(uint32(key)/nl), lens[uint32(key)%nl])] = struct{}{}
			}
		}
		ix.table = impactTable(distinct)
		codes := make([]uint16, pairs)
		for key, u := range used {
			if u {
				codes[key] = nearest(ix.table, impactOf(uint16(uint32(key)/nl), lens[uint32(key)%nl]))
			}
		}
		return func(tf uint16, d uint32) uint16 { return codes[uint32(tf)*nl+passLen[d]] }
	}
	distinct := map[float32]struct{}{}
	for t := range lists.data {
		for r := lists.reader(uint32(t)); r.more(); {
			d, tf := r.next()
			distinct[impactOf(tf, ix.lens[d])] = struct{}{}
		}
	}
	ix.table = impactTable(distinct)
	codes := make(map[float32]uint16, len(distinct))
	for v := range distinct {
		codes[v] = nearest(ix.table, v)
	}
	return func(tf uint16, d uint32) uint16 { return codes[impactOf(tf, ix.lens[d])] }
}

// impactTable sorts the distinct impact values. Up to 65,536 of them (any
// corpus of paragraph-sized passages) the table is exact; past that it keeps
// 65,536 evenly spaced quantiles, and a posting's impact is the nearest of
// them.
func impactTable(distinct map[float32]struct{}) []float32 {
	all := make([]float32, 0, len(distinct))
	for v := range distinct {
		all = append(all, v)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if len(all) <= 1<<16 {
		return all
	}
	table := make([]float32, 1<<16)
	for i := range table {
		table[i] = all[i*(len(all)-1)/(len(table)-1)]
	}
	return table
}

// nearest returns the code of the table value closest to v.
func nearest(table []float32, v float32) uint16 {
	i := sort.Search(len(table), func(i int) bool { return table[i] >= v })
	if i == len(table) || (i > 0 && v-table[i-1] < table[i]-v) {
		i--
	}
	return uint16(i)
}

// finish computes the derived per-term statistics.
func (ix *Index) finish() {
	ix.termOK = make([]atomic.Uint32, ix.numTerms())
	ix.table64 = make([]float64, len(ix.table))
	for i, v := range ix.table {
		ix.table64[i] = float64(v)
	}
	ix.wins = make(chan *window, 2*runtime.GOMAXPROCS(0))
	ix.windowBits, ix.seekFactor, ix.denseMax = maxWindowBits, seekFactor, maxWindow
	if ix.byID == nil && len(ix.docs) > 0 { // a build's; a file's is read and checked
		ix.byID = make([]uint32, len(ix.docs))
		for i := range ix.byID {
			ix.byID[i] = uint32(i)
		}
		slices.SortFunc(ix.byID, func(a, b uint32) int { return strings.Compare(ix.docs[a].ID, ix.docs[b].ID) })
	}
}

// idf is term t's inverse document frequency.
func (ix *Index) idf(t uint32) float64 {
	df := float64(ix.start[t+1] - ix.start[t])
	return math.Log(1 + (float64(ix.Len())-df+0.5)/(df+0.5))
}

// ub bounds term t's score in any passage (query term frequency 1).
func (ix *Index) ub(t uint32) float64 {
	s := ix.termOK[t].Load()
	if s == 0 {
		s = ix.checkTerm(t)
	}
	if s == badPostings {
		return 0
	}
	return ix.idf(t) * ix.table64[s-1]
}

// badPostings marks a term whose postings failed their check.
const badPostings = math.MaxUint32

// span is where term t's postings lie, post[from:to] and imp[from:to],
// checked: a term whose postings are bad has none.
func (ix *Index) span(t uint32) (from, to uint32) {
	from, to = ix.start[t], ix.start[t+1]
	s := ix.termOK[t].Load()
	if s == 0 {
		s = ix.checkTerm(t)
	}
	if s == badPostings {
		return from, from
	}
	return from, to
}

// checkTerm checks term t's postings (the offsets were checked when the
// index was read): passage numbers ascending and below the passage
// count, impact codes inside the table. It records the result, and a
// failure as damage.
func (ix *Index) checkTerm(t uint32) uint32 {
	from, to := ix.start[t], ix.start[t+1]
	n := uint32(ix.store.Len())
	var ok bool
	if ix.post16 != nil {
		ok = ascendingBelow(ix.post16[from:to], n)
	} else {
		ok = ascendingBelow(ix.post[from:to], n)
	}
	var err error
	best := uint16(0)
	if !ok {
		err = fmt.Errorf("postings of %q out of order or past the last passage", ix.termBytes(int(t)))
	} else {
		for _, c := range ix.imp[from:to] {
			best = max(best, c)
		}
		if to > from && int(best) >= len(ix.table) {
			err = fmt.Errorf("postings of %q: impact code past the table", ix.termBytes(int(t)))
		}
	}
	s := uint32(best) + 1
	if err != nil {
		s = badPostings
		ix.store.recordDamage(err)
	}
	ix.termOK[t].Store(s)
	return s
}

// checkTerms checks every term's postings now.
func (ix *Index) checkTerms() {
	for t := range ix.numTerms() {
		if ix.termOK[t].Load() == 0 {
			ix.checkTerm(uint32(t))
		}
	}
}

// docNum finds a document's number by ID.
func (ix *Index) docNum(id string) (int, bool) {
	i, ok := slices.BinarySearchFunc(ix.byID, id, func(d uint32, id string) int { return strings.Compare(ix.docs[d].ID, id) })
	if !ok {
		return 0, false
	}
	return int(ix.byID[i]), true
}

// numTerms is the number of distinct terms.
func (ix *Index) numTerms() int { return len(ix.termEnd) }

// termBytes is term t's text.
func (ix *Index) termBytes(t int) []byte {
	from := uint32(0)
	if t > 0 {
		from = ix.termEnd[t-1]
	}
	return ix.termText[from:ix.termEnd[t]]
}

// searchTerms returns the first term ≥ s.
func (ix *Index) searchTerms(s string) int {
	return sort.Search(ix.numTerms(), func(t int) bool { return string(ix.termBytes(t)) >= s })
}

// lookup finds an analysed term.
func (ix *Index) lookup(term string) (uint32, bool) {
	t := ix.searchTerms(term)
	if t < ix.numTerms() && string(ix.termBytes(t)) == term {
		return uint32(t), true
	}
	return 0, false
}

// Params reports the scoring parameters.
func (ix *Index) Params() Params { return ix.params }

// Len is the number of passages.
func (ix *Index) Len() int { return ix.store.Len() }

// Docs lists the documents in load order.
func (ix *Index) Docs() []DocInfo {
	defer runtime.KeepAlive(ix)
	return ix.docs
}

// Doc finds a document by ID.
func (ix *Index) Doc(id string) (DocInfo, bool) {
	defer runtime.KeepAlive(ix)
	i, ok := ix.docNum(id)
	if !ok {
		return DocInfo{}, false
	}
	return ix.docs[i], true
}

// Passage finds a passage by ID.
func (ix *Index) Passage(id string) (corpus.Passage, bool) {
	defer runtime.KeepAlive(ix)
	i, ok := ix.store.find(id)
	if !ok {
		return corpus.Passage{}, false
	}
	return ix.PassageAt(i), true
}

// Neighbour returns the passage delta places from the passage id within
// its document (1 the next, -1 the one before), if there is one.
func (ix *Index) Neighbour(id string, delta int) (corpus.Passage, bool) {
	defer runtime.KeepAlive(ix)
	i, ok := ix.store.find(id)
	if !ok {
		return corpus.Passage{}, false
	}
	j := i + delta
	if j < 0 || j >= ix.Len() || ix.docOf[j] != ix.docOf[i] {
		return corpus.Passage{}, false
	}
	return ix.PassageAt(j), true
}

// PassageAt returns passage number i (decompressing its text).
func (ix *Index) PassageAt(i int) corpus.Passage {
	defer runtime.KeepAlive(ix)
	r := storeReader{s: ix.store}
	return r.at(i)
}

// DocPassages returns a document's passages in order.
func (ix *Index) DocPassages(id string) []corpus.Passage {
	defer runtime.KeepAlive(ix)
	d, ok := ix.Doc(id)
	if !ok {
		return nil
	}
	r := storeReader{s: ix.store}
	out := make([]corpus.Passage, d.Count)
	for i := range out {
		out[i] = r.at(d.First + i)
	}
	return out
}

// Documents rebuilds the documents the index was built from, passages and
// text exactly as given (for building a new index with more documents, or
// loading another retriever, from an index file).
func (ix *Index) Documents() []corpus.Document {
	defer runtime.KeepAlive(ix)
	r := storeReader{s: ix.store}
	out := make([]corpus.Document, len(ix.docs))
	for i, d := range ix.docs {
		doc := corpus.Document{ID: d.ID, Title: d.Title, URL: d.URL, Author: d.Author, Date: d.Date, Source: d.Source,
			Sections: slices.Clone(d.Sections), Passages: make([]corpus.Passage, d.Count)}
		if len(doc.Sections) == 0 {
			doc.Sections = nil
		}
		for j := range doc.Passages {
			doc.Passages[j] = r.at(d.First + j)
		}
		out[i] = doc
	}
	return out
}

// IDF returns the inverse document frequency of an analysed term, and
// whether the index has it. A term the index lacks gets the IDF of a term
// found in no passage.
func (ix *Index) IDF(term string) (float64, bool) {
	defer runtime.KeepAlive(ix)
	if id, ok := ix.lookup(term); ok {
		return ix.idf(id), true
	}
	n := float64(ix.Len())
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
	defer runtime.KeepAlive(ix)
	if prefix == "" || n <= 0 {
		return nil
	}
	var out []string
	var df []uint32
	for t := ix.searchTerms(prefix); t < ix.numTerms(); t++ {
		term := string(ix.termBytes(t))
		if !strings.HasPrefix(term, prefix) {
			break
		}
		out = append(out, term)
		df = append(df, ix.start[t+1]-ix.start[t])
		if len(out) >= 200 {
			break
		}
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return df[order[a]] > df[order[b]] })
	sorted := make([]string, len(out))
	for i, o := range order {
		sorted[i] = out[o]
	}
	out = sorted
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// Fingerprint identifies the index's contents (passages, their text and
// the scoring parameters): two indexes built from the same articles with
// the same settings have the same fingerprint, in any process. Answer
// caches key on it.
func (ix *Index) Fingerprint() string {
	defer runtime.KeepAlive(ix)
	ix.fpOnce.Do(func() {
		// The checksums of the sections of the index's file: those read
		// from the file it was opened from (so that nothing of it is read
		// for this), or those a save would write (the same for the same
		// contents). Only an index that cannot be saved hashes its
		// passages directly.
		sums := ix.sums
		if sums == nil {
			if l, err := ix.layout(); err == nil {
				sums = &l.sums
			}
		}
		h := crc64.New(crc64.MakeTable(crc64.ECMA))
		fmt.Fprintf(h, "%s|%+v|%d|", AnalyzerVersion, ix.params, ix.Len())
		if sums != nil {
			var b [4]byte
			for i, v := range sums {
				if i != secMeta { // the parameters, written above
					binary.LittleEndian.PutUint32(b[:], v)
					h.Write(b[:])
				}
			}
			ix.fp = fmt.Sprintf("%016x", h.Sum64())
			return
		}
		st := ix.store
		h.Write(st.IDs)
		for _, v := range st.Strings {
			h.Write([]byte(v))
			h.Write([]byte{0})
		}
		var b [4]byte
		for _, t := range [][]uint32{st.DocID, st.Title, st.Section, st.Heading, st.URL, st.Paragraph, st.TextEnd} {
			for _, v := range t {
				binary.LittleEndian.PutUint32(b[:], v)
				h.Write(b[:])
			}
		}
		h.Write(st.Blocks)
		ix.fp = "x" + fmt.Sprintf("%016x", h.Sum64())
	})
	return ix.fp
}

// Damaged reports the first text block of an index file that could not
// be read (its passages read with empty text), or term whose postings
// failed their check (it matches nothing), or nil. Open checks neither;
// VerifyFile checks both.
func (ix *Index) Damaged() error {
	if err := ix.store.damage.Load(); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, *err)
	}
	return nil
}

// OnDamage has f told, once, of the first damage Damaged would report
// (it replaces an earlier f):
// when a search or a read meets it (f runs on that goroutine, so it
// should be quick, e.g. a log line), or at once if it was met already.
// A long-running server has no command ending to report it at.
func (ix *Index) OnDamage(f func(error)) {
	ix.store.onDamage.Store(&damageHook{f: f})
	ix.store.tell()
}
