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
func ParseQuery(q string) []QueryTerm {
	var out []QueryTerm
	pos := map[string]int{}
	for _, t := range Analyze(q) {
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
	return ix.SearchTerms(ParseQuery(query), k, opt)
}

// cursor walks one term's postings.
type cursor struct {
	term   uint32
	name   string
	weight float64 // qtf · idf
	ub     float64 // weight · max tf part
	list   *postings
	pos    int
}

func (c *cursor) doc() uint32 {
	if c.pos < len(c.list.Docs) {
		return c.list.Docs[c.pos]
	}
	return ^uint32(0)
}

// seek moves to the first posting ≥ d (galloping, then binary search).
func (c *cursor) seek(d uint32) {
	docs := c.list.Docs
	if c.pos >= len(docs) || docs[c.pos] >= d {
		return
	}
	step := 1
	lo := c.pos
	hi := c.pos + step
	for hi < len(docs) && docs[hi] < d {
		lo = hi
		step *= 2
		hi = c.pos + step
	}
	if hi > len(docs) {
		hi = len(docs)
	}
	c.pos = lo + sort.Search(hi-lo, func(i int) bool { return docs[lo+i] >= d })
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
	if k <= 0 || len(ix.passages) == 0 {
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
	for _, qt := range q {
		id, ok := ix.terms[qt.Term]
		if !ok || qt.Weight <= 0 {
			continue
		}
		w := qt.Weight * ix.idf[id]
		cs = append(cs, &cursor{term: id, name: qt.Term, weight: w, ub: qt.Weight * ix.ub[id], list: &ix.lists[id]})
	}
	if len(cs) == 0 {
		return nil
	}
	// Ascending upper bound: the prefix cs[:ess] is non-essential.
	sort.Slice(cs, func(i, j int) bool { return cs[i].ub < cs[j].ub })
	cum := make([]float64, len(cs))
	sum := 0.0
	for i, c := range cs {
		sum += c.ub
		cum[i] = sum
	}
	k1 := ix.params.K1
	contrib := func(c *cursor, d uint32) float64 {
		tf := float64(c.list.TFs[c.pos])
		return c.weight * tf * (k1 + 1) / (tf + float64(ix.norm[d]))
	}
	h := make(minHeap, 0, k)
	threshold := -1.0
	ess := 0
	for {
		// Next candidate: the smallest current passage among essential terms.
		d := ^uint32(0)
		for _, c := range cs[ess:] {
			if cd := c.doc(); cd < d {
				d = cd
			}
		}
		if d == ^uint32(0) {
			break
		}
		if allowed != nil && !allowed[ix.docOf[d]] {
			for _, c := range cs[ess:] {
				if c.doc() == d {
					c.pos++
				}
			}
			continue
		}
		score := 0.0
		for _, c := range cs[ess:] {
			if c.doc() == d {
				score += contrib(c, d)
				c.pos++
			}
		}
		for i := ess - 1; i >= 0; i-- {
			if score+cum[i] <= threshold {
				score = -1
				break
			}
			c := cs[i]
			c.seek(d)
			if c.doc() == d {
				score += contrib(c, d)
			}
		}
		if score < 0 {
			continue
		}
		cand := scored{doc: d, score: score}
		if len(h) < k {
			heap.Push(&h, cand)
		} else if better(cand, h[0]) {
			h[0] = cand
			heap.Fix(&h, 0)
		} else {
			continue
		}
		if len(h) == k {
			threshold = h[0].score
			for ess < len(cs) && cum[ess] <= threshold {
				ess++
			}
		}
	}
	res := make([]scored, len(h))
	copy(res, h)
	sort.Slice(res, func(i, j int) bool { return better(res[i], res[j]) })
	hits := make([]Hit, len(res))
	for i, r := range res {
		hits[i] = Hit{Passage: ix.passages[r.doc], Score: r.score}
		for _, qt := range q {
			if id, ok := ix.terms[qt.Term]; ok && ix.has(id, r.doc) {
				hits[i].Matched = append(hits[i].Matched, qt.Term)
			}
		}
	}
	return hits
}

func (ix *Index) has(term, doc uint32) bool {
	docs := ix.lists[term].Docs
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
	q := ParseQuery(query)
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
		if len(out) >= k || len(hits) < pk || pk >= len(ix.passages) {
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
		if !stopWords[t.Text] && want[Stem(t.Text)] {
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
