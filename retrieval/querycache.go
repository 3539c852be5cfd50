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
// of ranking a SciFact question; two map reads under a read lock cost a
// fraction of that. The index is never changed once built, so a term
// number, once found, stays true.
type queryCache struct {
	mu    sync.RWMutex
	stems map[string]string // folded word → stem
	terms map[string]int32  // stem → term number, or -1 when the index lacks it
}

// stem is Stem(w), remembered.
func (c *queryCache) stem(w string) string {
	c.mu.RLock()
	s, ok := c.stems[w]
	c.mu.RUnlock()
	if ok {
		return s
	}
	s = Stem(w)
	c.mu.Lock()
	if c.stems == nil {
		c.stems = map[string]string{}
	}
	if len(c.stems) < queryCacheMax {
		// Cloned: w is a piece of the query, which the key would keep.
		c.stems[strings.Clone(w)] = s
	}
	c.mu.Unlock()
	return s
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
	c.mu.Lock()
	if c.terms == nil {
		c.terms = map[string]int32{}
	}
	if len(c.terms) < queryCacheMax {
		c.terms[strings.Clone(stem)] = t
	}
	c.mu.Unlock()
	return id, found
}
