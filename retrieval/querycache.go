package retrieval

import (
	"strings"
	"sync"
)

// queryCacheMax bounds each of a queryCache's maps (words are open-ended:
// every misspelling a user types is one).
const queryCacheMax = 1 << 17

// queryCache remembers, for one index, what query words stem to and
// which term each stem is: the two lookups every query word costs before
// any posting is read. They were a sync.Map load and a binary search of
// the sorted term table with string comparisons, together about a third
// of ranking a SciFact question; one map read under a read lock (two
// for a search by analysed terms, which looks the stems up) costs a
// fraction of that. The index is never changed once built, so a term
// number, once found, stays true.
type queryCache struct {
	mu    sync.RWMutex
	words map[string]wordInfo // folded word → its stem and term
	terms map[string]int32    // stem → term number, or -1 when the index lacks it
}

// wordInfo is what a query word comes to in one index.
type wordInfo struct {
	stem string
	term int32 // the stem's term number, or -1 when the index lacks it
}

// word returns the function parseQuery looks words up with: a word's stem
// and its term number in ix, remembered.
func (c *queryCache) word(ix *Index) func(string) (string, int32) {
	return func(w string) (string, int32) {
		c.mu.RLock()
		wi, ok := c.words[w]
		c.mu.RUnlock()
		if ok {
			return wi.stem, wi.term
		}
		wi.stem = Stem(w)
		wi.term = -1
		if t, ok := c.term(ix, wi.stem); ok {
			wi.term = int32(t)
		}
		remember(&c.mu, &c.words, w, wi)
		return wi.stem, wi.term
	}
}

// term is ix.lookup(stem), remembered.
func (c *queryCache) term(ix *Index, stem string) (uint32, bool) {
	c.mu.RLock()
	t, ok := c.terms[stem]
	c.mu.RUnlock()
	if ok {
		return uint32(t), t >= 0
	}
	id, found := ix.lookup(stem)
	t = int32(id)
	if !found {
		t = -1
	}
	remember(&c.mu, &c.terms, stem, t)
	return id, found
}

// remember stores v under k in *m, under mu, while *m holds fewer than
// queryCacheMax entries. k is cloned: it is a piece of a query, which the
// key would keep.
func remember[V any](mu *sync.RWMutex, m *map[string]V, k string, v V) {
	mu.Lock()
	defer mu.Unlock()
	if *m == nil {
		*m = map[string]V{}
	}
	if len(*m) < queryCacheMax {
		(*m)[strings.Clone(k)] = v
	}
}
