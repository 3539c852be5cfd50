package retrieval

import (
	"container/heap"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/footnote-bot/footnote/corpus"
)

// Hit is one ranked passage.
type Hit struct {
	Passage corpus.Passage
	Score   float64
	// Matched lists the analysed query terms found in the passage.
	Matched []string
}

// Options narrow a search.
type Options struct {
	// Docs, when non-empty, keeps only passages of these document IDs.
	Docs []string
}

// QueryTerm is an analysed query term with its weight.
type QueryTerm struct {
	Term   string
	Weight float64 // query term frequency
}

// ParseQuery analyses a query into weighted terms (repeated terms add up).
func ParseQuery(q string) []QueryTerm { return parseQuery(q, Stem) }

// parseQuery tokenizes, drops stop words and stems with stem.
func parseQuery(q string, stem func(string) string) []QueryTerm {
	var out []QueryTerm
	pos := map[string]int{}
	for _, tok := range Tokenize(q) {
		if stopWord(tok.Text) {
			continue
		}
		t := stem(tok.Text)
		if i, ok := pos[t]; ok {
			out[i].Weight++
			continue
		}
		pos[t] = len(out)
		out = append(out, QueryTerm{Term: t, Weight: 1})
	}
	return out
}

// Search returns the k best passages for the query, best first; ties go to
// the passage loaded first.
func (ix *Index) Search(query string, k int, opt Options) []Hit {
	return ix.SearchTerms(ix.ParseQuery(query), k, opt)
}

// ParseQuery is the package ParseQuery with stems cached in the index.
func (ix *Index) ParseQuery(q string) []QueryTerm { return parseQuery(q, ix.stem) }

// stem stems a folded word, remembering up to 1<<17 words.
func (ix *Index) stem(w string) string {
	if s, ok := ix.stems.Load(w); ok {
		return s.(string)
	}
	s := Stem(w)
	if ix.stemCount.Load() < 1<<17 {
		if _, loaded := ix.stems.LoadOrStore(w, s); !loaded {
			ix.stemCount.Add(1)
		}
	}
	return s
}

// cursor walks one term's postings.
type cursor struct {
	term   uint32
	name   string
	weight float64 // qtf · idf
	ub     float64 // weight · max tf part
	docs   []uint32
	imp    []uint16
	qi     int // index of its term in the query
	pos    int
}

type scored struct {
	doc   uint32
	score float64
}

// minHeap keeps the k best: the root is the worst kept.
type minHeap []scored

func (h minHeap) Len() int { return len(h) }
func (h minHeap) Less(i, j int) bool {
	if h[i].score != h[j].score {
		return h[i].score < h[j].score
	}
	return h[i].doc > h[j].doc
}
func (h minHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)   { *h = append(*h, x.(scored)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// better reports whether a outranks b.
func better(a, b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.doc < b.doc
}

// SearchTerms is Search for an already analysed query.
func (ix *Index) SearchTerms(q []QueryTerm, k int, opt Options) []Hit {
	return ix.finishHits(q, ix.rank(q, k, opt))
}

// Ranked is a passage as ranked, before its text is read.
type Ranked struct {
	ID    string
	Score float64
}

// Rank is Search without reading the passages: the passage IDs and scores
// alone, the answer a search engine gives before stored fields are
// fetched. Same order and scores as Search.
func (ix *Index) Rank(query string, k int, opt Options) []Ranked {
	res := ix.rank(ix.ParseQuery(query), k, opt)
	out := make([]Ranked, len(res))
	for i, r := range res {
		out[i] = Ranked{ID: string(ix.store.id(int(r.doc))), Score: r.score}
	}
	return out
}

// rank returns the k best passages, best first.
func (ix *Index) rank(q []QueryTerm, k int, opt Options) []scored {
	if k <= 0 || ix.Len() == 0 {
		return nil
	}
	var allowed map[uint32]bool
	if len(opt.Docs) > 0 {
		allowed = map[uint32]bool{}
		for _, id := range opt.Docs {
			if i, ok := ix.docByID[id]; ok {
				allowed[uint32(i)] = true
			}
		}
		if len(allowed) == 0 {
			return nil
		}
	}
	var cs []*cursor
	for qi, qt := range q {
		id, ok := ix.lookup(qt.Term)
		if !ok || qt.Weight <= 0 {
			continue
		}
		w := qt.Weight * ix.idf[id]
		docs, imp := ix.postings(id)
		cs = append(cs, &cursor{term: id, name: qt.Term, weight: w, ub: qt.Weight * ix.ub[id], docs: docs, imp: imp, qi: qi})
	}
	if len(cs) == 0 {
		return nil
	}
	total := 0
	for _, c := range cs {
		total += len(c.docs)
	}
	// Term at a time reads every posting but in tight loops; it wins while
	// its accumulator stays in cache. Past that, MaxScore's sequential merge
	// and skipping win.
	if ix.forceStrategy == strategyTAAT || (ix.forceStrategy == strategyAuto && total <= taatMaxPostings && ix.Len() <= taatMaxPassages) {
		return sortScored(ix.taat(cs, k, allowed))
	}
	return sortScored(ix.maxScore(cs, k, allowed))
}

func sortScored(res []scored) []scored {
	sort.Slice(res, func(i, j int) bool { return better(res[i], res[j]) })
	return res
}

// daat is a cursor in the document-at-a-time loop: a value type kept in
// one slice, with its current passage cached, for a tight inner loop.
type daat struct {
	docs   []uint32
	imp    []uint16
	pos    int
	cur    uint32
	weight float64
}

const noDoc = ^uint32(0)

func (c *daat) next() {
	c.pos++
	if c.pos < len(c.docs) {
		c.cur = c.docs[c.pos]
	} else {
		c.cur = noDoc
	}
}

// seek moves to the first posting ≥ d (galloping, then binary search).
func (c *daat) seek(d uint32) {
	docs := c.docs
	if c.cur >= d {
		return
	}
	lo, step := c.pos, 1
	hi := lo + step
	for hi < len(docs) && docs[hi] < d {
		lo = hi
		step *= 2
		hi = c.pos + step
	}
	if hi > len(docs) {
		hi = len(docs)
	}
	for lo < hi { // first index in [lo, hi) with docs[i] >= d
		mid := int(uint(lo+hi) >> 1)
		if docs[mid] < d {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	c.pos = lo
	if lo < len(docs) {
		c.cur = docs[lo]
	} else {
		c.cur = noDoc
	}
}

// maxScore evaluates document at a time with MaxScore pruning.
func (ix *Index) maxScore(in []*cursor, k int, allowed map[uint32]bool) []scored {
	// Ascending upper bound: the prefix cs[:ess] is non-essential.
	sort.Slice(in, func(i, j int) bool { return in[i].ub < in[j].ub })
	cs := make([]daat, len(in))
	cum := make([]float64, len(in))
	sum := 0.0
	for i, c := range in {
		cs[i] = daat{docs: c.docs, imp: c.imp, weight: c.weight, cur: noDoc}
		if len(c.docs) > 0 {
			cs[i].cur = c.docs[0]
		}
		sum += c.ub
		cum[i] = sum
	}
	table := ix.table64
	h := make(minHeap, 0, k)
	threshold := -1.0
	ess := 0
	d := noDoc
	for i := range cs {
		d = min(d, cs[i].cur)
	}
	for d != noDoc {
		score := 0.0
		next := noDoc
		for i := ess; i < len(cs); i++ {
			c := &cs[i]
			if c.cur == d {
				score += c.weight * table[c.imp[c.pos]]
				c.next()
			}
			next = min(next, c.cur)
		}
		cand := d
		d = next
		if allowed != nil && !allowed[ix.docOf[cand]] {
			continue
		}
		pruned := false
		for i := ess - 1; i >= 0; i-- {
			if score+cum[i] <= threshold {
				pruned = true
				break
			}
			c := &cs[i]
			c.seek(cand)
			if c.cur == cand {
				score += c.weight * table[c.imp[c.pos]]
			}
		}
		if pruned {
			continue
		}
		if len(h) == k && score < threshold {
			continue // cheap common case: cannot enter the top k
		}
		sc := scored{doc: cand, score: score}
		if len(h) < k {
			heap.Push(&h, sc)
		} else if better(sc, h[0]) {
			h[0] = sc
			heap.Fix(&h, 0)
		} else {
			continue
		}
		if len(h) == k {
			threshold = h[0].score
			moved := false
			for ess < len(cs) && cum[ess] <= threshold {
				ess++
				moved = true
			}
			if moved {
				d = noDoc
				for i := ess; i < len(cs); i++ {
					d = min(d, cs[i].cur)
				}
			}
		}
	}
	return h
}

// finishHits reads the ranked passages and records the matched terms.
func (ix *Index) finishHits(q []QueryTerm, res []scored) []Hit {
	hits := make([]Hit, len(res))
	rd := storeReader{s: ix.store}
	for i, r := range res {
		hits[i] = Hit{Passage: rd.at(int(r.doc)), Score: r.score}
		// Which terms matched is looked up for the k kept passages only,
		// keeping it out of the scoring loops.
		for _, qt := range q {
			if id, ok := ix.lookup(qt.Term); ok && ix.has(id, r.doc) {
				hits[i].Matched = append(hits[i].Matched, qt.Term)
			}
		}
	}
	return hits
}

func (ix *Index) has(term, doc uint32) bool {
	docs, _ := ix.postings(term)
	i := sort.Search(len(docs), func(i int) bool { return docs[i] >= doc })
	return i < len(docs) && docs[i] == doc
}

// DocHit is a document ranked by its best passage.
type DocHit struct {
	DocID string
	Score float64
	Best  Hit
}

// SearchDocs ranks documents, each scoring as its best passage.
func (ix *Index) SearchDocs(query string, k int, opt Options) []DocHit {
	q := ix.ParseQuery(query)
	if k <= 0 {
		return nil
	}
	pk := k * 2
	for {
		hits := ix.SearchTerms(q, pk, opt)
		var out []DocHit
		seen := map[string]bool{}
		for _, h := range hits {
			if seen[h.Passage.DocID] {
				continue
			}
			seen[h.Passage.DocID] = true
			out = append(out, DocHit{DocID: h.Passage.DocID, Score: h.Score, Best: h})
		}
		if len(out) >= k || len(hits) < pk || pk >= ix.Len() {
			if len(out) > k {
				out = out[:k]
			}
			return out
		}
		pk *= 4
	}
}

// Snippet returns up to max runes of the passage around its best cluster of
// query matches, with matched words wrapped in mark[0] and mark[1] (e.g.
// "**", "**"). Cut ends are marked with "…".
func Snippet(text string, matched []string, max int, mark [2]string) string {
	want := map[string]bool{}
	for _, m := range matched {
		want[m] = true
	}
	toks := Tokenize(text)
	var hits []Token
	for _, t := range toks {
		if !stopWord(t.Text) && want[Stem(t.Text)] {
			hits = append(hits, t)
		}
	}
	// Choose the window start (a token start) that covers the most hits.
	start, end := 0, len(text)
	if utf8.RuneCountInString(text) > max {
		bestCount, bestStart := -1, 0
		for _, h := range hits {
			limit := byteOffsetAfterRunes(text, h.Start, max)
			n := 0
			for _, o := range hits {
				if o.Start >= h.Start && o.End <= limit {
					n++
				}
			}
			if n > bestCount {
				bestCount, bestStart = n, h.Start
			}
		}
		// Back up to the start of the sentence or a few words of context.
		start = backUp(text, bestStart, max/4)
		end = byteOffsetAfterRunes(text, start, max)
		// Do not cut a word in half.
		if end < len(text) {
			if sp := strings.LastIndexAny(text[start:end], " \n\t"); sp > 0 {
				end = start + sp
			}
		}
	}
	var sb strings.Builder
	if start > 0 {
		sb.WriteString("…")
	}
	pos := start
	for _, h := range hits {
		if h.Start < start || h.End > end {
			continue
		}
		sb.WriteString(text[pos:h.Start])
		sb.WriteString(mark[0])
		sb.WriteString(text[h.Start:h.End])
		sb.WriteString(mark[1])
		pos = h.End
	}
	sb.WriteString(text[pos:end])
	if end < len(text) {
		sb.WriteString("…")
	}
	return strings.TrimSpace(sb.String())
}

func byteOffsetAfterRunes(s string, from, n int) int {
	i := from
	for c := 0; c < n && i < len(s); c++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

// backUp moves from pos towards the start of its sentence, at most n runes.
func backUp(s string, pos, n int) int {
	i := pos
	for c := 0; c < n && i > 0; c++ {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if r == '.' || r == '!' || r == '?' || r == '\n' {
			break
		}
		i -= size
	}
	for i < pos && (s[i] == ' ' || s[i] == '\n') {
		i++
	}
	// Start on a word boundary.
	if i > 0 && i < pos {
		if sp := strings.IndexByte(s[i:pos], ' '); sp >= 0 {
			r, _ := utf8.DecodeLastRuneInString(s[:i])
			if r != ' ' && r != '.' && r != '\n' {
				i += sp + 1
			}
		}
	}
	return i
}

// Query evaluation strategies.
const (
	strategyAuto = iota
	strategyTAAT
	strategyMaxScore
)

// Limits for term-at-a-time evaluation: the postings a query may touch and
// the passages (accumulator size) before MaxScore is faster (measured with
// the bench harness on SciFact and the synthetic corpus).
const (
	taatMaxPostings = 64 << 10
	taatMaxPassages = 256 << 10
)

// accumulator is per-query scratch space for term-at-a-time scoring.
type accumulator struct {
	score   []float64
	touched []uint32
}

// taat scores term at a time into a pooled dense accumulator and keeps the
// k best. Exact, like MaxScore.
func (ix *Index) taat(cs []*cursor, k int, allowed map[uint32]bool) []scored {
	var acc *accumulator
	select {
	case acc = <-ix.accs:
	default:
		acc = &accumulator{score: make([]float64, ix.Len())}
	}
	for _, c := range cs {
		docs, imp, table := c.docs, c.imp, ix.table64
		w := c.weight
		score := acc.score
		for i, d := range docs {
			if score[d] == 0 {
				acc.touched = append(acc.touched, d)
			}
			score[d] += w * table[imp[i]]
		}
	}
	h := make(minHeap, 0, k)
	for _, d := range acc.touched {
		sc := acc.score[d]
		acc.score[d] = 0
		if allowed != nil && !allowed[ix.docOf[d]] {
			continue
		}
		cand := scored{doc: d, score: sc}
		if len(h) < k {
			heap.Push(&h, cand)
		} else if better(cand, h[0]) {
			h[0] = cand
			heap.Fix(&h, 0)
		}
	}
	acc.touched = acc.touched[:0]
	select {
	case ix.accs <- acc:
	default: // enough kept; let this one go
	}
	return h
}
