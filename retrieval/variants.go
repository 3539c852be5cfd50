package retrieval

import (
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/footnote-bot/footnote/retrieval/wordlist"
)

// Query words the index does not know are matched two ways, both against
// the index's own vocabulary and both for matching only (the index keeps
// its Porter2 stems):
//
//   - Spelling (Correct): the same word in the other English spelling
//     ("characterized"/"characterised") or, for a word the index lacks,
//     another form of an irregular verb ("kept" for "keeps"), else, for a word that is not an
//     English word (SCOWL's list, package wordlist), the index term within
//     a few edits of it, as Lucene's DirectSpellChecker suggests one: same
//     first letter, edits allowed by length as Lucene's fuzzy "AUTO" does
//     (none below 4 letters, one up to 5, two from 6), the closest and then
//     the most frequent term first. A word the index has is never
//     corrected, nor is a real word the articles do not use ("soccer"
//     stays unknown rather than becoming "socket").
//   - Derivation (Derived): index terms that differ from the stem by one
//     derivational suffix — "grow"/"growth", "scrape"/"scraper" — or after Lovins' (1968) recoding of Latin stem
//     endings — "retain"/"retention" (tain/tent), "reduce"/"reduction"
//     (duc/duct). Porter2 strips derivational suffixes only from long
//     enough words; these are the variants it keeps apart.

// Correction is an index term offered for a word the index lacks.
type Correction struct {
	Term  string // the index term (a stem)
	Edits int    // edit distance (Damerau–Levenshtein, adjacent swaps count 1)
	DF    int    // passages holding the term
}

// spellings are endings spelt differently in American and British English.
var spellings = [][2]string{
	{"ize", "ise"}, {"ized", "ised"}, {"izes", "ises"}, {"izing", "ising"}, {"ization", "isation"}, {"izations", "isations"},
	{"yze", "yse"}, {"yzed", "ysed"}, {"yzes", "yses"}, {"yzing", "ysing"},
	{"or", "our"}, {"ors", "ours"}, {"ored", "oured"}, {"oring", "ouring"},
	{"er", "re"}, {"ers", "res"}, {"ense", "ence"}, {"og", "ogue"}, {"ogs", "ogues"},
	{"eled", "elled"}, {"eling", "elling"}, {"eler", "eller"},
}

// Spellings returns the index terms of a folded word's other spellings
// (American or British) that differ from its own stem.
func (ix *Index) Spellings(word string) []string {
	defer runtime.KeepAlive(ix)
	stem := ix.stem(word)
	var out []string
	for _, v := range spellingVariants(word) {
		if t := ix.stem(v); t != stem {
			if _, ok := ix.lookup(t); ok {
				out = append(out, t)
			}
		}
	}
	return out
}

// spellingVariants are the word's other spellings by those endings.
func spellingVariants(word string) []string {
	var out []string
	for _, p := range spellings {
		for i, from := range p {
			if base, ok := strings.CutSuffix(word, from); ok && len(base) >= 3 {
				out = append(out, base+p[1-i])
			}
		}
	}
	return out
}

// maxEdits is Lucene's fuzzy AUTO distance with a 4-letter floor.
func maxEdits(n int) int {
	switch {
	case n < 4:
		return 0
	case n < 6:
		return 1
	default:
		return 2
	}
}

// Correct finds the index term closest to a folded word whose stem the
// index lacks (see the package's query-words note). ok is false when the
// index has the word's stem, the word is short or a stop word, or nothing
// is close enough.
func (ix *Index) Correct(word string) (Correction, bool) {
	defer runtime.KeepAlive(ix)
	n := utf8.RuneCountInString(word)
	max := maxEdits(n)
	if max == 0 || stopWord(word) || ix.numTerms() == 0 {
		return Correction{}, false
	}
	stem := ix.stem(word)
	if _, ok := ix.lookup(stem); ok {
		return Correction{}, false
	}
	// The same word spelt the other side of the Atlantic, or another form
	// of an irregular verb: "kept" when the articles only say "keeps".
	var others []string
	for _, v := range spellingVariants(word) {
		others = append(others, ix.stem(v))
	}
	for _, term := range append(others, irregularStems()[stem]...) {
		if t, ok := ix.lookup(term); ok {
			return Correction{Term: term, DF: int(ix.start[t+1] - ix.start[t])}, true
		}
	}
	// A real word the articles do not use is not a typo.
	if wordlist.Has(word) {
		return Correction{}, false
	}
	first, _ := utf8.DecodeRuneInString(word)
	prefix := string(first)
	best := Correction{Edits: max + 1}
	for t := ix.searchTerms(prefix); t < ix.numTerms(); t++ {
		term := ix.termBytes(t)
		if !strings.HasPrefix(string(term), prefix) {
			break
		}
		if d := utf8.RuneCount(term) - n; d > max || -d > max+2 { // stems are shorter than words
			continue
		}
		e := min(editDistance(word, string(term), best.Edits), editDistance(stem, string(term), best.Edits))
		if e > max {
			continue
		}
		df := int(ix.start[t+1] - ix.start[t])
		if e < best.Edits || e == best.Edits && df > best.DF {
			best = Correction{Term: string(term), Edits: e, DF: df}
		}
	}
	return best, best.Term != ""
}

// EditDistance is the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and swaps of adjacent letters), or
// bound+1 once it must exceed bound.
func EditDistance(a, b string, bound int) int { return editDistance(a, b, bound) }

func editDistance(a, b string, bound int) int {
	ra, rb := []rune(a), []rune(b)
	if abs(len(ra)-len(rb)) > bound {
		return bound + 1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > bound {
			return bound + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(rb)], bound+1)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// minBase is the shortest stem a derivational suffix is added to.
const minBase = 4

// derivational are the suffixes that make one word of another (those of
// Porter2's step-4 list that form nouns and adjectives of verbs, without
// its R2 condition, which keeps it from short words such as "scraper";
// plus -th, -ure and -ist): two index terms that differ
// by one of them, on a base of at least minBase letters, are variants.
var derivational = []string{"er", "th", "ur", "ion", "ist", "ism", "al", "iv", "ive", "ment", "iti", "ous", "abl", "ibl"}

// recodings are Lovins' (1968) recoding rules for Latin stem endings, as
// pairs of stem endings that name the same base (Porter2 stems on the
// left, the derived noun's on the right).
var recodings = [][2]string{
	{"tain", "tent"},    // retain, retention; detain, detention
	{"duc", "duct"},     // reduce, reduction; introduce, introduction
	{"ceiv", "cept"},    // receive, reception
	{"sum", "sumpt"},    // consume, consumption
	{"solv", "solut"},   // resolve, resolution
	{"scrib", "script"}, // describe, description
	{"mit", "miss"},     // permit, permission
	{"clud", "clus"},    // include, inclusion
	{"vid", "vis"},      // provide, provision; divide, division
	{"pend", "pens"},    // expend, expense
	{"tend", "tens"},    // extend, extension
	{"vert", "vers"},    // convert, conversion
	{"olv", "olut"},     // evolve, evolution
	{"pos", "posit"},    // expose, exposition; compose, composition
}

// Derived returns the index terms that are derivational variants of an
// analysed term (see the package's query-words note), most frequent first,
// excluding the term itself.
func (ix *Index) Derived(term string) []string {
	defer runtime.KeepAlive(ix)
	forms := irregularStems()[term]
	if len(forms) == 0 && utf8.RuneCountInString(term) < minBase {
		return nil
	}
	seen := map[string]bool{term: true}
	var out []string
	var dfs []int
	add := func(t int) {
		s := string(ix.termBytes(t))
		if seen[s] {
			return
		}
		seen[s] = true
		out = append(out, s)
		dfs = append(dfs, int(ix.start[t+1]-ix.start[t]))
	}
	try := func(t string) {
		if id, ok := ix.lookup(t); ok {
			add(int(id))
		}
	}
	// Another form of an irregular verb ("kept" and "keeps"): Porter2
	// joins only the regular ones.
	for _, f := range forms {
		try(f)
	}
	if utf8.RuneCountInString(term) < minBase {
		return out
	}
	for _, suf := range derivational {
		try(term + suf) // grow → growth
		if e, ok := strings.CutSuffix(term, "e"); ok && strings.ContainsRune("aeiou", rune(suf[0])) {
			try(e + suf) // scrape → scraper: a final e goes before a vowel
		}
		if base, ok := strings.CutSuffix(term, suf); ok && len(base) >= minBase {
			try(base)       // growth → grow
			try(base + "e") // scraper → scrape
		}
	}
	for _, r := range recodings {
		for i, from := range r {
			if base, ok := strings.CutSuffix(term, from); ok && len(base) >= 2 {
				try(base + r[1-i])
			}
		}
	}
	// Most frequent first (insertion sort: a handful of terms).
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && dfs[j] > dfs[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
			dfs[j], dfs[j-1] = dfs[j-1], dfs[j]
		}
	}
	return out
}
