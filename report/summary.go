package report

import (
	"sort"
	"strings"

	"github.com/footnote-bot/footnote/retrieval"
	"github.com/footnote-bot/footnote/store"
)

// Summary is the question log's statistics as people read them: the
// store's counts, with the questions it returns grouped here (the store
// does no text analysis).
type Summary struct {
	store.Stats
	Unanswered []Group       // abstained questions, similar ones grouped, most asked first
	TopTerms   []store.Count // most asked-about terms
	// Sources are the documentation sites kept, and Changes their
	// newest page changes (filled by the caller; shown when there are
	// sources).
	Sources []store.Source
	Changes []store.SiteChange
}

// Group is a set of similar questions.
type Group struct {
	Example string
	Count   int
}

// Summarise groups st's questions: similar abstained questions (the same
// analysed terms, question words aside) under the first one asked, and
// the most asked-about terms, top of each.
func Summarise(st store.Stats, top int) Summary {
	sum := Summary{Stats: st}
	groups := map[string]*Group{}
	var order []string
	terms := map[string]int{}
	for _, q := range st.Asked {
		an := retrieval.Analyze(q.Question)
		for _, t := range dedupe(an) {
			terms[t]++
		}
		if !q.Abstained {
			continue
		}
		k := groupKey(an)
		if groups[k] == nil {
			groups[k] = &Group{Example: q.Question}
			order = append(order, k)
		}
		groups[k].Count++
	}
	for _, k := range order {
		sum.Unanswered = append(sum.Unanswered, *groups[k])
	}
	sort.SliceStable(sum.Unanswered, func(i, j int) bool {
		if sum.Unanswered[i].Count != sum.Unanswered[j].Count {
			return sum.Unanswered[i].Count > sum.Unanswered[j].Count
		}
		return sum.Unanswered[i].Example < sum.Unanswered[j].Example
	})
	if len(sum.Unanswered) > top {
		sum.Unanswered = sum.Unanswered[:top]
	}
	sum.TopTerms = topCounts(terms, top)
	return sum
}

// groupKey makes similar questions equal: their sorted distinct stems
// without question words.
func groupKey(terms []string) string {
	var keep []string
	for _, t := range dedupe(terms) {
		switch t {
		case "what", "which", "who", "how", "whi", "when", "where", "do", "doe", "can", "i", "my", "you":
			continue
		}
		keep = append(keep, t)
	}
	sort.Strings(keep)
	return strings.Join(keep, " ")
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func topCounts(m map[string]int, n int) []store.Count {
	var out []store.Count
	for k, v := range m {
		out = append(out, store.Count{Name: k, Count: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
