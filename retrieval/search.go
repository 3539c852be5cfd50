package retrieval

import (
	"cmp"
	"math"
	"math/bits"
	"runtime"
	"slices"
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
func ParseQuery(q string) []QueryTerm {
	out, _ := parseQuery(q, func(w string) (string, int32) { return Stem(w), 0 }, false)
	return out
}

// parseQuery tokenizes, drops stop words and stems with look, which also
// gives each stem's term number (or -1: the index lacks it); with withIDs
// they are returned beside the terms. A query's terms are few, so
// repeats are found by scanning what is kept, not by a map (a query is
// parsed for every search; this is its fixed cost).
func parseQuery(q string, look func(string) (string, int32), withIDs bool) ([]QueryTerm, []int32) {
	// Room for a word a space (up to 32), so that the slice is not
	// grown four or five times a question.
	room := min(32, strings.Count(q, " ")+1)
	out := make([]QueryTerm, 0, room)
	var ids []int32
	if withIDs {
		ids = make([]int32, 0, room)
	}
	var pos map[string]int // only for long queries
	words(q, func(w string, _, _ int) {
		if stopWord(w) {
			return
		}
		t, id := look(w)
		if pos != nil {
			if i, ok := pos[t]; ok {
				out[i].Weight++
				return
			}
			pos[t] = len(out)
		} else {
			for i := range out {
				if out[i].Term == t {
					out[i].Weight++
					return
				}
			}
			if len(out) == 32 {
				pos = make(map[string]int, 64)
				for i, o := range out {
					pos[o.Term] = i
				}
				pos[t] = len(out)
			}
		}
		out = append(out, QueryTerm{Term: t, Weight: 1})
		if withIDs {
			ids = append(ids, id)
		}
	})
	return out, ids
}

// Search returns the k best passages for the query, best first; ties go to
// the passage loaded first.
func (ix *Index) Search(query string, k int, opt Options) []Hit {
	defer runtime.KeepAlive(ix)
	return ix.SearchTerms(ix.ParseQuery(query), k, opt)
}

// ParseQuery is the package ParseQuery with stems cached in the index.
func (ix *Index) ParseQuery(q string) []QueryTerm {
	defer runtime.KeepAlive(ix)
	out, _ := parseQuery(q, ix.queries.word(ix), false)
	return out
}

// parseIDs is ParseQuery with the terms' numbers in this index (-1 for a
// term it lacks), found with the stems: ranking needs no second lookup.
func (ix *Index) parseIDs(q string) ([]QueryTerm, []int32) {
	return parseQuery(q, ix.queries.word(ix), true)
}

// Stem is the package Stem, remembered by the index (for callers that
// stem the same words over and over, such as rescoring passages).
func (ix *Index) Stem(w string) string {
	defer runtime.KeepAlive(ix)
	return ix.stem(w)
}

// stem stems a folded word, remembering up to queryCacheMax words.
func (ix *Index) stem(w string) string {
	s, _ := ix.queries.word(ix)(w)
	return s
}

type scored struct {
	doc   uint32
	score float64
}

// topK keeps the k best of the candidates offered, in a buffer of up to
// 2k: when it fills, a selection keeps the k best, and the k-th becomes
// the bar the next candidates must beat. That is amortised a few
// comparisons per candidate, where a heap of k pays a sift of log k
// (container/heap's, through an interface, was a third of ranking 100
// documents). The bar trails the exact k-th best between selections,
// which only prunes less, never wrongly.
//
// For k up to sortedTopK the buffer is instead the best so far, kept in
// order by insertion: a handful of comparisons a kept candidate, where a
// selection over 2k every k candidates cost more (a sixth of ranking a
// SciFact question for 10), and the bar is always the exact k-th best.
type topK struct {
	k      int
	buf    []scored
	full   bool   // k candidates were kept at the last selection
	bar    scored // the k-th best then (valid when full)
	sorted bool   // k ≤ sortedTopK: buf is kept best first, at most k long
}

// sortedTopK is the largest k kept by insertion (see topK).
const sortedTopK = 16

func newTopK(k int, buf []scored) *topK {
	if cap(buf) < 2*k {
		buf = make([]scored, 0, 2*k)
	}
	return &topK{k: k, buf: buf[:0], sorted: k <= sortedTopK}
}

// offer keeps sc if it could be among the k best, and reports whether the
// bar rose (its score is then threshold()).
func (t *topK) offer(sc scored) bool {
	if t.full && !better(sc, t.bar) {
		return false
	}
	if t.sorted {
		i := len(t.buf)
		if i < t.k {
			t.buf = append(t.buf, sc)
		} else {
			i = t.k - 1 // the k-th best is dropped
		}
		for ; i > 0 && better(sc, t.buf[i-1]); i-- {
			t.buf[i] = t.buf[i-1]
		}
		t.buf[i] = sc
		if len(t.buf) < t.k {
			return false
		}
		t.full, t.bar = true, t.buf[t.k-1]
		return true
	}
	t.buf = append(t.buf, sc)
	if len(t.buf) < 2*t.k {
		return false
	}
	t.shrink()
	return true
}

// threshold is the score a candidate must reach, -1 before k were kept.
func (t *topK) threshold() float64 {
	if !t.full {
		return -1
	}
	return t.bar.score
}

// shrink keeps the k best of the buffer.
func (t *topK) shrink() {
	selectBest(t.buf, t.k)
	t.buf = t.buf[:t.k]
	worst := t.buf[0]
	for _, s := range t.buf[1:] {
		if better(worst, s) {
			worst = s
		}
	}
	t.full, t.bar = true, worst
}

// result is the k best, in no order.
func (t *topK) result() []scored {
	if len(t.buf) > t.k {
		selectBest(t.buf, t.k)
		t.buf = t.buf[:t.k]
	}
	return t.buf
}

// selectBest moves the k best of s (by better) into s[:k], in no order
// (quickselect, median of three pivots).
func selectBest(s []scored, k int) {
	lo, hi := 0, len(s)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if better(s[mid], s[lo]) {
			s[mid], s[lo] = s[lo], s[mid]
		}
		if better(s[hi], s[lo]) {
			s[hi], s[lo] = s[lo], s[hi]
		}
		if better(s[hi], s[mid]) {
			s[hi], s[mid] = s[mid], s[hi]
		}
		// s[lo] ≥ s[mid] ≥ s[hi] in rank; partition around s[mid].
		pivot := s[mid]
		i, j := lo, hi
		for i <= j {
			for better(s[i], pivot) {
				i++
			}
			for better(pivot, s[j]) {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		// s[lo:j+1] rank at or above the pivot, s[i:hi+1] at or below.
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
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
	defer runtime.KeepAlive(ix)
	return ix.finishHits(q, ix.rank(q, nil, k, opt))
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
	defer runtime.KeepAlive(ix)
	q, ids := ix.parseIDs(query)
	res := ix.rank(q, ids, k, opt)
	out := make([]Ranked, len(res))
	for i, r := range res {
		out[i] = Ranked{ID: string(ix.store.id(int(r.doc))), Score: r.score}
	}
	return out
}

// rank returns the k best passages, best first. ids, if not nil, are the
// terms' numbers (parseIDs).
func (ix *Index) rank(q []QueryTerm, ids []int32, k int, opt Options) []scored {
	if k <= 0 || ix.Len() == 0 {
		return nil
	}
	k = min(k, ix.Len()) // the heap is sized for k
	var allowed map[uint32]bool
	if len(opt.Docs) > 0 {
		allowed = map[uint32]bool{}
		for _, id := range opt.Docs {
			if i, ok := ix.docNum(id); ok {
				allowed[uint32(i)] = true
			}
		}
		if len(allowed) == 0 {
			return nil
		}
	}
	if ix.Len() <= ix.denseMax {
		if ix.post16 != nil {
			return sortScored(dense(ix, cursors(ix, ix.post16, q, ids), k, allowed))
		}
		return sortScored(dense(ix, cursors(ix, ix.post, q, ids), k, allowed))
	}
	if ix.post16 != nil {
		return sortScored(maxScore(ix, cursors(ix, ix.post16, q, ids), k, allowed))
	}
	return sortScored(maxScore(ix, cursors(ix, ix.post, q, ids), k, allowed))
}

// dense is exact top-k by scoring every posting, for an index no larger
// than one window (denseMax): the lists are added term at a time into one
// array of all the passages' scores, noting each passage the first time
// it is touched, and the touched passages are then offered to the top k.
// On corpora this small MaxScore's bookkeeping (windows, bounds, seeking
// the non-essential lists) cost more than the postings it skipped: SciFact
// (5,681 passages) ranked at 5-6× the cost of reading its postings once,
// Cranfield's 200-deep document rankings at more.
func dense[D docNum](ix *Index, cs []cursor[D], k int, allowed map[uint32]bool) []scored {
	if len(cs) == 0 {
		return nil
	}
	win := ix.window()
	table := ix.table64
	acc := win.acc[:]
	top := newTopK(k, win.top)
	postings := 0
	for _, c := range cs {
		postings += len(c.docs)
	}
	if passages := ix.Len(); postings >= passages/8 {
		// Many postings for the passages: score them with nothing else in
		// the loop, then read every passage's score in order. Scores are
		// above zero, so a bar of the least positive number passes only
		// the touched passages; once k are kept, the bar is the k-th best
		// and nearly every passage fails it, a branch the processor
		// predicts.
		for _, c := range cs {
			docs, imp, w := c.docs, c.imp[:len(c.docs)], c.weight
			for p, d := range docs {
				acc[uint32(d)&(maxWindow-1)] += w * table[imp[p]] // d < denseMax ≤ maxWindow
			}
		}
		bar := math.SmallestNonzeroFloat64
		for doc, score := range acc[:passages] {
			if score < bar {
				continue
			}
			if allowed != nil && !allowed[ix.docOf[doc]] {
				continue
			}
			if top.offer(scored{doc: uint32(doc), score: score}) {
				bar = max(top.threshold(), math.SmallestNonzeroFloat64)
			}
		}
		clear(acc[:passages])
	} else {
		// Few: note each passage the first time it is touched, and read
		// only those.
		touched := win.touched[:]
		n := 0
		for _, c := range cs {
			docs, imp, w := c.docs, c.imp[:len(c.docs)], c.weight
			for p, d := range docs {
				off := uint32(d) & (maxWindow - 1)
				a := acc[off]
				touched[n] = uint16(off)
				acc[off] = a + w*table[imp[p]]
				first := 0 // as in maxScore: counted without a branch
				if a == 0 {
					first = 1
				}
				n += first
			}
		}
		bar := -1.0 // top.threshold(): a passage scoring below it cannot enter
		for _, off := range touched[:n] {
			score := acc[off]
			acc[off] = 0
			if score < bar || allowed != nil && !allowed[ix.docOf[off]] {
				continue
			}
			if top.offer(scored{doc: uint32(off), score: score}) {
				bar = top.threshold()
			}
		}
	}
	return ix.release(win, top)
}

// cursors opens the query terms' posting lists (post is the index's
// passage numbers, at whichever width it keeps them).
func cursors[D docNum](ix *Index, post []D, q []QueryTerm, ids []int32) []cursor[D] {
	cs := make([]cursor[D], 0, len(q))
	for i, qt := range q {
		var id uint32
		ok := true
		if ids != nil {
			id, ok = uint32(ids[i]), ids[i] >= 0
		} else {
			id, ok = ix.queries.term(ix, qt.Term)
		}
		if !ok || qt.Weight <= 0 {
			continue
		}
		from, to := ix.span(id)
		if from == to {
			continue
		}
		docs := post[from:to]
		cs = append(cs, cursor[D]{docs: docs, imp: ix.imp[from:to], cur: uint32(docs[0]), weight: qt.Weight * ix.idf(id), ub: qt.Weight * ix.ub(id)})
	}
	return cs
}

func sortScored(res []scored) []scored {
	slices.SortFunc(res, func(a, b scored) int {
		switch {
		case better(a, b):
			return -1
		case better(b, a):
			return 1
		}
		return 0
	})
	return res
}

// docNum is a passage number as postings keep it: 16 bits when the index
// has at most 65,536 passages, else 32.
type docNum interface{ ~uint16 | ~uint32 }

// cursor walks one query term's postings, its current passage cached.
type cursor[D docNum] struct {
	docs   []D
	imp    []uint16
	pos    int
	cur    uint32  // docs[pos], or noDoc past the end
	weight float64 // qtf · idf
	ub     float64 // weight · the list's largest term-frequency part
}

const noDoc = ^uint32(0)

// seek moves to the first posting ≥ d (galloping, then binary search).
func (c *cursor[D]) seek(d uint32) {
	docs := c.docs
	if c.cur >= d {
		return
	}
	lo, step := c.pos, 1
	hi := lo + step
	for hi < len(docs) && uint32(docs[hi]) < d {
		lo = hi
		step *= 2
		hi = c.pos + step
	}
	if hi > len(docs) {
		hi = len(docs)
	}
	for lo < hi { // first index in [lo, hi) with docs[i] >= d
		mid := int(uint(lo+hi) >> 1)
		if uint32(docs[mid]) < d {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	c.pos = lo
	if lo < len(docs) {
		c.cur = uint32(docs[lo])
	} else {
		c.cur = noDoc
	}
}

// MaxScore's window: the essential lists are scored term at a time into a
// window of up to maxWindow passages (a quarter of a MiB of scores, which
// stays in the second-level cache; measured best on the synthetic 1M
// corpus with the bench harness, against 4K to 64K).
const (
	maxWindowBits = 15
	maxWindow     = 1 << maxWindowBits
)

// seekFactor: a list whose bound lets MaxScore stop scoring it is left to
// seeking only when it is more than seekFactor times longer than the
// essential lists after it; otherwise scoring it in the window costs less
// than probing it for the passages that need it (measured with the bench
// harness: 4 to 16 are within noise of each other).
const seekFactor = 8

// firstWindowBits: the first window is 1<<firstWindowBits passages, and
// each next one twice the last, up to the index's window. Until k passages
// are kept there is no threshold, so every passage a window touches is
// kept and completed; a small first window sets the threshold early,
// which matters most on a corpus one full window covers (SciFact's 5,681
// passages). Measured with BenchmarkRankFloor: see the README.
const firstWindowBits = 8

// window is MaxScore's per-query scratch: partial scores by offset in the
// window, the offsets touched (each once), and a bitset of the passages
// kept for completion, with a bitset of its non-zero words.
type window struct {
	acc     [maxWindow]float64
	touched [maxWindow + 1]uint16
	cand    []uint16 // maxScore's offsets of a window's postings (grown as needed)
	bits    [maxWindow / 64]uint64
	words   [maxWindow / 64 / 64]uint64
	top     []scored // topK's buffer, kept for the next query
}

// window takes a scoring window from the index's pool, or a new one.
func (ix *Index) window() *window {
	select {
	case win := <-ix.wins:
		return win
	default:
		return new(window)
	}
}

// release returns the k best top holds and gives win, with top's buffer,
// back to the pool (dropped if the pool is full).
func (ix *Index) release(win *window, top *topK) []scored {
	res := slices.Clone(top.result()) // the buffer goes back with the window
	win.top = top.buf[:0]
	select {
	case ix.wins <- win:
	default:
	}
	return res
}

// maxScore is exact top-k with MaxScore pruning, evaluated window by
// window as Lucene's MaxScoreBulkScorer does. Lists are in ascending order
// of upper bound; the prefix whose bounds sum to no more than the k-th
// best score so far is non-essential: a passage in those lists alone
// cannot enter the top k. Per window of passages, the essential lists are
// scored term at a time (sequential reads, scores in cache, no merge);
// each passage touched there that the non-essential bounds could still
// lift over the k-th best is then completed from the non-essential lists
// by seeking, highest bound first, until the bounds left cannot lift it.
// Passages are completed in passage order, so ties go to the one loaded
// first.
func maxScore[D docNum](ix *Index, cs []cursor[D], k int, allowed map[uint32]bool) []scored {
	if len(cs) == 0 {
		return nil
	}
	slices.SortFunc(cs, func(a, b cursor[D]) int { return cmp.Compare(a.ub, b.ub) })
	cum := make([]float64, len(cs)) // cum[i]: sum of the bounds of cs[:i+1]
	sum := 0.0
	for i, c := range cs {
		sum += c.ub
		cum[i] = sum
	}
	win := ix.window()
	size := uint64(1) << min(ix.windowBits, firstWindowBits) // at most maxWindow
	full := uint64(1) << ix.windowBits
	table := ix.table64
	top := newTopK(k, win.top)
	threshold := -1.0
	ess := 0 // cs[ess:] are essential
	for {
		lo := noDoc
		for i := ess; i < len(cs); i++ {
			lo = min(lo, cs[i].cur)
		}
		if lo == noDoc {
			break
		}
		hi := uint64(lo) + size
		span := int(size) // a list has at most this many postings in the window
		size = min(2*size, full)
		// Score the essential lists into the window, noting the offset of
		// every posting. Noting only first touches (counting them as the
		// scores were read) chained each posting to the one before it,
		// through the count: a third of the loop at 1M passages. A
		// passage touched twice is noted twice; the pass below sees it
		// twice, harmlessly.
		n := 0
		for i := ess; i < len(cs); i++ {
			c := &cs[i]
			docs, imp, w := c.docs, c.imp, c.weight
			p := c.pos
			if need := n + min(len(docs)-p, span); need > len(win.cand) {
				win.cand = append(win.cand[:n], make([]uint16, max(need, 2*len(win.cand))-n)...)
			}
			cand := win.cand
			for ; p < len(docs) && uint64(docs[p]) < hi; p++ {
				off := (uint32(docs[p]) - lo) & (maxWindow - 1)
				cand[n] = uint16(off)
				n++
				win.acc[off] += w * table[imp[p]]
			}
			c.pos = p
			c.cur = noDoc
			if p < len(docs) {
				c.cur = uint32(docs[p])
			}
		}
		// Keep the passages the non-essential bounds could lift over the
		// k-th best. The k kept so far all come before this window, so a
		// passage here that could only tie the k-th best loses the tie.
		// Every term scores above zero, so a bar of at least zero also
		// passes over the offsets already cleared here.
		need := threshold
		if ess > 0 {
			need -= cum[ess-1]
		}
		need = max(need, 0)
		for _, off := range win.cand[:n] {
			if win.acc[off] > need {
				win.bits[off>>6] |= 1 << (off & 63)
				win.words[off>>12] |= 1 << ((off >> 6) & 63)
			} else {
				win.acc[off] = 0
			}
		}
		// Complete the kept passages in passage order.
		for wj, ws := range win.words {
			win.words[wj] = 0
			for ; ws != 0; ws &= ws - 1 {
				wi := wj<<6 + bits.TrailingZeros64(ws)
				b := win.bits[wi]
				win.bits[wi] = 0
				for ; b != 0; b &= b - 1 {
					off := uint32(wi<<6+bits.TrailingZeros64(b)) & (maxWindow - 1)
					score := win.acc[off]
					win.acc[off] = 0
					doc := lo + off
					if allowed != nil && !allowed[ix.docOf[doc]] {
						continue
					}
					pruned := false
					for i := ess - 1; i >= 0; i-- {
						if score+cum[i] <= threshold {
							pruned = true
							break
						}
						c := &cs[i]
						c.seek(doc)
						if c.cur == doc {
							score += c.weight * table[c.imp[c.pos]]
						}
					}
					if pruned || score < threshold {
						continue
					}
					if top.offer(scored{doc: doc, score: score}) {
						threshold = top.threshold()
					}
				}
			}
		}
		// Lists whose bounds together cannot reach the k-th best score
		// become non-essential for the windows after this one, when
		// seeking them is cheaper than scoring them.
		for ess < len(cs) && cum[ess] <= threshold {
			rest := 0
			for i := ess + 1; i < len(cs); i++ {
				rest += len(cs[i].docs) - cs[i].pos
			}
			if len(cs[ess].docs)-cs[ess].pos <= ix.seekFactor*rest {
				break
			}
			ess++
		}
	}
	return ix.release(win, top)
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
	from, to := ix.span(term)
	if ix.post16 != nil {
		return contains(ix.post16[from:to], doc)
	}
	return contains(ix.post[from:to], doc)
}

// Rescore scores passages another engine found (a distributed index's
// first stage) with this index's BM25 for q, as SearchTerms would: best
// first, ties to the passage loaded first, Matched filled in. Passages the
// index does not hold, or that match none of q here, are dropped, and
// each passage is kept once. Scores are summed term by term, so a passage
// tied with another only to the last bit may order differently than in
// SearchTerms, whose sums run in MaxScore's order.
func (ix *Index) Rescore(q []QueryTerm, hits []Hit) []Hit {
	defer runtime.KeepAlive(ix)
	res := make([]scored, 0, len(hits))
	seen := make(map[uint32]bool, len(hits))
	for _, h := range hits {
		i, ok := ix.store.find(h.Passage.ID)
		if !ok || seen[uint32(i)] {
			continue
		}
		d := uint32(i)
		seen[d] = true
		score := 0.0
		for _, qt := range q {
			t, ok := ix.lookup(qt.Term)
			if !ok || qt.Weight <= 0 {
				continue
			}
			if code, ok := ix.impact(t, d); ok {
				score += qt.Weight * ix.idf(t) * ix.table64[code]
			}
		}
		if score > 0 {
			res = append(res, scored{doc: d, score: score})
		}
	}
	return ix.finishHits(q, sortScored(res))
}

// impact is term t's impact code in passage d, if d holds t.
func (ix *Index) impact(t, d uint32) (uint16, bool) {
	from, to := ix.span(t)
	var i int
	if ix.post16 != nil {
		i = position(ix.post16[from:to], d)
	} else {
		i = position(ix.post[from:to], d)
	}
	if i < 0 {
		return 0, false
	}
	return ix.imp[int(from)+i], true
}

// position is d's index in the sorted docs, or -1.
func position[D docNum](docs []D, d uint32) int {
	i := sort.Search(len(docs), func(i int) bool { return uint32(docs[i]) >= d })
	if i < len(docs) && uint32(docs[i]) == d {
		return i
	}
	return -1
}

func contains[D docNum](docs []D, d uint32) bool {
	i := sort.Search(len(docs), func(i int) bool { return uint32(docs[i]) >= d })
	return i < len(docs) && uint32(docs[i]) == d
}

// DocHit is a document ranked by its best passage.
type DocHit struct {
	DocID string
	Score float64
	Best  Hit
}

// SearchDocs ranks documents, each scoring as its best passage, and reads
// that passage (Best): k passages read, whatever it took to find k
// documents.
func (ix *Index) SearchDocs(query string, k int, opt Options) []DocHit {
	defer runtime.KeepAlive(ix)
	q := ix.ParseQuery(query)
	ranked := ix.rankDocs(q, nil, k, opt)
	out := make([]DocHit, len(ranked))
	best := ix.finishHits(q, ranked)
	for i, r := range ranked {
		out[i] = DocHit{DocID: ix.docs[ix.docOf[r.doc]].ID, Score: r.score, Best: best[i]}
	}
	return out
}

// RankedDoc is a document as ranked, before any text is read.
type RankedDoc struct {
	DocID string
	Score float64
}

// RankDocs is SearchDocs from the postings alone: documents score as their
// best passage, found through the passage → document table, and no text
// is read (what `search --trec` and `eval` need). Same order and scores
// as SearchDocs.
func (ix *Index) RankDocs(query string, k int, opt Options) []RankedDoc {
	defer runtime.KeepAlive(ix)
	q, ids := ix.parseIDs(query)
	ranked := ix.rankDocs(q, ids, k, opt)
	out := make([]RankedDoc, len(ranked))
	for i, r := range ranked {
		out[i] = RankedDoc{DocID: ix.docs[ix.docOf[r.doc]].ID, Score: r.score}
	}
	return out
}

// rankDocs returns the best passage of each of the k best documents, best
// first: the passages are ranked 2k deep, and deeper (×4) while fewer than
// k documents are among them.
func (ix *Index) rankDocs(q []QueryTerm, ids []int32, k int, opt Options) []scored {
	if k <= 0 {
		return nil
	}
	n := ix.Len()
	k = min(k, n) // no more documents than passages
	pk := min(2*k, n)
	seen := make(map[uint32]bool, k)
	for {
		res := ix.rank(q, ids, pk, opt)
		out := make([]scored, 0, k)
		clear(seen)
		for _, r := range res {
			if len(out) == k {
				break
			}
			d := ix.docOf[r.doc]
			if seen[d] {
				continue
			}
			seen[d] = true
			out = append(out, r)
		}
		if len(out) >= k || len(res) < pk || pk >= n {
			return out
		}
		pk = min(4*pk, n)
	}
}

// BestPerDoc ranks the documents of ranked passage hits by their best
// passage (the first of each document), keeping the first k: how footnote
// ranks documents, whichever engine ranked the passages.
func BestPerDoc(hits []Hit, k int) []DocHit {
	var out []DocHit
	seen := map[string]bool{}
	for _, h := range hits {
		if len(out) == k {
			break
		}
		if seen[h.Passage.DocID] {
			continue
		}
		seen[h.Passage.DocID] = true
		out = append(out, DocHit{DocID: h.Passage.DocID, Score: h.Score, Best: h})
	}
	return out
}

// Snippet returns up to max runes of the passage around its best cluster of
// query matches, with matched words wrapped in mark[0] and mark[1] (e.g.
// "**", "**"). Cut ends are marked with "…".
//
// The window starts at the match that begins the most matches within max
// runes (the first such match). Snippet is linear in the text: one pass
// finds that window with a queue of the matches that may still share it
// (at most max/2+1), a second pass marks the matches inside it, and stems
// are cached per word, so a paragraph of 160,000 words costs one scan, not
// one per match. Memory is O(max) besides the cache of at most
// snippetStemCache words; the result is at most max runes of the text plus
// two ellipses and the marks of the matches in the window.
func Snippet(text string, matched []string, max int, mark [2]string) string {
	want := make(map[string]bool, len(matched))
	for _, m := range matched {
		want[m] = true
	}
	isMatch := snippetMatcher(want)
	start, end := 0, len(text)
	if utf8.RuneCountInString(text) > max {
		bestStart := bestWindow(text, isMatch, max)
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
	// Tokenize only the window, widened to whole words so that its words
	// are the ones a scan of the whole text sees.
	from, to := wordStartBefore(text, start), wordEndAfter(text, end)
	words(text[from:to], func(w string, s, e int) {
		s, e = s+from, e+from
		if s < start || e > end || !isMatch(w) {
			return
		}
		sb.WriteString(text[pos:s])
		sb.WriteString(mark[0])
		sb.WriteString(text[s:e])
		sb.WriteString(mark[1])
		pos = e
	})
	sb.WriteString(text[pos:end])
	if end < len(text) {
		sb.WriteString("…")
	}
	return strings.TrimSpace(sb.String())
}

// snippetStemCache bounds the words whose match is remembered.
const snippetStemCache = 4096

// snippetMatcher reports whether a folded word matches one of the wanted
// stems (stop words never do), caching the answer per word.
func snippetMatcher(want map[string]bool) func(w string) bool {
	cache := map[string]bool{}
	// Porter2 keeps a word's first letter (TestStemKeepsFirstLetter), so
	// a word starting with a letter no wanted stem starts with is no
	// match, without stemming it: most words of a passage.
	var first [256]bool
	for s := range want {
		if s != "" {
			first[s[0]] = true
		}
	}
	return func(w string) bool {
		if len(want) == 0 || w == "" {
			return false
		}
		if c := w[0]; 'a' <= c && c <= 'z' && !first[c] {
			return false
		}
		if ok, seen := cache[w]; seen {
			return ok
		}
		ok := !stopWord(w) && want[Stem(w)]
		if len(cache) < snippetStemCache {
			cache[w] = ok
		}
		return ok
	}
}

// bestWindow returns the byte offset of the first match that begins the
// most matches lying within max runes of its start (0 without matches), in
// one pass: matches wait in a queue until a later match ends more than max
// runes after their start, when the count of those they began is known.
func bestWindow(text string, isMatch func(string) bool, max int) int {
	type open struct {
		start     int // byte offset
		runeStart int
		n         int // index among matches
	}
	var queue []open // queue[head:] are waiting
	head := 0
	bestCount, bestStart := -1, 0
	done := func(o open, next int) {
		if c := next - o.n; c > bestCount {
			bestCount, bestStart = c, o.start
		}
	}
	n, prev, runePos := 0, 0, 0
	words(text, func(w string, s, e int) {
		if !isMatch(w) {
			return
		}
		runeStart := runePos + utf8.RuneCountInString(text[prev:s])
		runeEnd := runeStart + utf8.RuneCountInString(text[s:e])
		prev, runePos = e, runeEnd
		for head < len(queue) && runeEnd-queue[head].runeStart > max {
			done(queue[head], n)
			head++
		}
		o := open{start: s, runeStart: runeStart, n: n}
		n++
		if runeEnd-runeStart > max {
			// A word longer than the window begins no window of its own.
			done(o, o.n)
			return
		}
		if head > 64 && head > len(queue)/2 {
			queue = queue[:copy(queue, queue[head:])]
			head = 0
		}
		queue = append(queue, o)
	})
	for _, o := range queue[head:] {
		done(o, n)
	}
	return bestStart
}

// wordStartBefore moves i back to where no word continues across it: the
// start of the text or just after a rune that is neither part of a word
// nor an apostrophe.
func wordStartBefore(s string, i int) int {
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if !isWordRune(r) && !isApostrophe(r) {
			break
		}
		i -= size
	}
	return i
}

// wordEndAfter moves i forward to the end of the text or a rune that is
// neither part of a word nor an apostrophe.
func wordEndAfter(s string, i int) int {
	for i < len(s) {
		r, size := runeAt(s, i)
		if !isWordRune(r) && !isApostrophe(r) {
			break
		}
		i += size
	}
	return i
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

// InDoc reports whether any passage of document docID holds the analysed
// term (text, title or heading).
func (ix *Index) InDoc(term, docID string) bool {
	defer runtime.KeepAlive(ix)
	t, ok := ix.lookup(term)
	if !ok {
		return false
	}
	d, ok := ix.docNum(docID)
	if !ok {
		return false
	}
	from, to := ix.span(t)
	first := uint32(ix.docs[d].First)
	end := first + uint32(ix.docs[d].Count)
	if ix.post16 != nil {
		return anyIn(ix.post16[from:to], first, end)
	}
	return anyIn(ix.post[from:to], first, end)
}

// anyIn reports whether sorted docs hold a passage number in [from, to).
func anyIn[D docNum](docs []D, from, to uint32) bool {
	i := sort.Search(len(docs), func(i int) bool { return uint32(docs[i]) >= from })
	return i < len(docs) && uint32(docs[i]) < to
}
