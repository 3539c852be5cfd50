package answer

import (
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/retrieval"
)

// Ranking for questions. BM25 finds a pool of passages; each is then read
// unit by unit (sentences, list items, table rows) and rescored with what
// BM25 cannot see. Every candidate passage gets these features:
//
//	bm25     its BM25 score over the pool's best
//	cover    the share of the question's IDF mass the passage matches (text,
//	         heading and title; a spelling correction or derivational
//	         variant matches at its lower weight, a word the articles lack
//	         counts at the highest IDF)
//	unit     the same share for its best unit: questions are written from one
//	         sentence, so the best unit says more than the passage's counts
//	prox     unit × proximity: matched words over the width of the smallest
//	         window holding them all
//	typed    1 when the question asks for a kind of answer (a name, a date or
//	         version, a number, a place, an instruction, a setting) and the
//	         best unit holds one the question does not already contain
//	defines  1 when a definition question's subject ("What is X?") is
//	         defined by a unit ("X is …", "X, a …")
//	doc      the share of the question's IDF mass found anywhere in the
//	         passage's article: an article about the question's topic
//	heading  the share matched by the passage's title and section heading
//	ident    the share of the question's identifiers (config keys, flags,
//	         file names: "file_sd", "--web.external-url", "prometheus.yml")
//	         that the passage holds verbatim; analysis splits them into
//	         common words, so only the verbatim match tells them apart
//
// and scores Σ rankWeights[i]·feature[i]. The weights are fitted by
// `go run ./answer/calibrate` (pairwise logistic regression: the passage
// holding the accepted answer against the rest of its pool) on the dev
// question sets and checked on held-back ones; README shows each feature's
// effect.

// Features of a candidate passage, in rankWeights order.
const (
	fBM25 = iota
	fCover
	fUnit
	fProx
	fTyped
	fDefines
	fDoc
	fHeading
	fIdent
	numFeatures
)

// FeatureNames name the ranking features, in order.
var FeatureNames = [numFeatures]string{"bm25", "cover", "unit", "prox", "typed", "defines", "doc", "heading", "ident"}

// RankWeights are the ranking features' weights.
type RankWeights [numFeatures]float64

// unitScore orders a passage's units for choosing its best: coverage,
// with proximity and the wanted kind of answer breaking ties.
func unitScore(u unit) float64 {
	s := u.cover + 0.5*u.cover*u.prox
	if u.typed || u.defines {
		s += 0.25
	}
	if len(strings.Fields(u.text)) < shortUnit {
		// A bare name or code span ("`histogram_avg()`") is a poor answer.
		s /= 2
	}
	return s
}

// shortUnit is the fewest words of a unit that reads as an answer.
const shortUnit = 4

// unit is one quotable piece of a candidate passage.
type unit struct {
	text    string
	cand    int // index into candidates
	pos     int // position in the passage
	match   []float64
	cover   float64
	prox    float64
	typed   bool
	defines bool
	score   float64
}

// candidate is a passage of the pool, rescored.
type candidate struct {
	hit      retrieval.Hit
	units    []unit
	best     int // index into units of the best unit, -1 if none
	features [numFeatures]float64
	score    float64
}

// scorer holds what rescoring a question's pool needs.
type scorer struct {
	q     query
	idf   []float64 // per question term
	total float64
	// own are the question's own words (folded), so an answer type is not
	// satisfied by a word the question already has.
	own    map[string]bool
	idents []string // the question's identifiers (see identifiers)
	stems  map[string]string
	// prefixes are the first prefixLen bytes of every term a word may
	// match (see mayMatch).
	prefixes map[string]bool
	weights  *RankWeights
	ix       Corpus
}

func newScorer(ix Corpus, q query, question string, w *RankWeights) *scorer {
	s := &scorer{q: q, idf: make([]float64, len(q.terms)), own: map[string]bool{}, weights: w, ix: ix, stems: map[string]string{}}
	for i, t := range q.terms {
		s.idf[i], _ = ix.IDF(t.term)
		s.total += s.idf[i]
	}
	for _, t := range retrieval.Tokenize(question) {
		s.own[t.Text] = true
	}
	s.idents = identifiers(question)
	var terms []string
	for _, t := range q.terms {
		terms = append(append(append(terms, t.term), t.spellings...), t.derived...)
	}
	s.prefixes = termPrefixes(terms)
	return s
}

// otherPrefix are the stems whose words begin otherwise: Porter2's
// special cases "dying", "lying" and "tying" (TestPrefixesCoverEveryWord
// checks the word list for more).
var otherPrefix = map[string]string{"die": "dy", "lie": "ly", "tie": "ty"}

// termPrefixes are the first prefixLen bytes a word must have to stem to
// one of terms (see mayMatch).
func termPrefixes(terms []string) map[string]bool {
	p := map[string]bool{}
	for _, term := range terms {
		p[term[:min(len(term), prefixLen)]] = true
		if o, ok := otherPrefix[term]; ok {
			p[o] = true
		}
	}
	return p
}

// termMatch is how well an analysed word matches question term i: 1 for
// the term, its correction weight for a correction, derivedWeight for a
// variant, 0 otherwise.
func (s *scorer) termMatch(i int, stem string) float64 {
	t := s.q.terms[i]
	switch {
	case stem == t.term && t.fixed:
		return correctionWeight
	case stem == t.term:
		return 1
	}
	for _, sp := range t.spellings {
		if sp == stem {
			return 1
		}
	}
	for _, d := range t.derived {
		if d == stem {
			return derivedWeight
		}
	}
	return 0
}

// matchText returns, per question term, the best match in text, and the
// token positions of matched words (for proximity).
func (s *scorer) matchText(text string) (match []float64, positions [][2]int) {
	match = make([]float64, len(s.q.terms))
	for p, tok := range retrieval.Tokenize(text) {
		if !s.mayMatch(tok.Text) || retrieval.IsStopWord(tok.Text) {
			continue
		}
		stem, ok := s.stems[tok.Text]
		if !ok {
			stem = s.ix.Stem(tok.Text)
			s.stems[tok.Text] = stem
		}
		for i := range s.q.terms {
			if m := s.termMatch(i, stem); m > 0 {
				match[i] = max(match[i], m)
				positions = append(positions, [2]int{p, i})
			}
		}
	}
	return match, positions
}

// prefixLen is how many leading bytes of a word mayMatch compares.
const prefixLen = 2

// mayMatch reports whether a folded word could stem to one of the
// question's terms: Porter2 changes only endings, so a word keeps its
// stem's first letters (but for otherPrefix). It saves stemming the words
// that cannot match.
func (s *scorer) mayMatch(w string) bool {
	if len(w) < prefixLen {
		return s.prefixes[w]
	}
	return s.prefixes[w[:prefixLen]]
}

// coverage is the IDF-weighted share of the question terms matched.
func (s *scorer) coverage(match []float64) float64 {
	if s.total == 0 {
		return 0
	}
	got := 0.0
	for i, m := range match {
		got += m * s.idf[i]
	}
	return got / s.total
}

// proximity is the number of distinct matched terms over the width (in
// words) of the smallest window holding one of each; 0 with fewer than
// two matched terms.
func proximity(positions [][2]int, terms int) float64 {
	distinct := map[int]bool{}
	for _, p := range positions {
		distinct[p[1]] = true
	}
	k := len(distinct)
	if k < 2 {
		return 0
	}
	// Sliding window over positions (already in text order).
	count := make([]int, terms)
	have, best, lo := 0, math.MaxInt, 0
	for hi := range positions {
		if count[positions[hi][1]] == 0 {
			have++
		}
		count[positions[hi][1]]++
		for have == k {
			if w := positions[hi][0] - positions[lo][0] + 1; w < best {
				best = w
			}
			count[positions[lo][1]]--
			if count[positions[lo][1]] == 0 {
				have--
			}
			lo++
		}
	}
	return float64(k) / float64(best)
}

// Answer-type evidence in a unit's text.
var (
	yearRe    = lazy(`\b(1[0-9]{3}|20[0-9]{2})s?\b|\b[0-9]{1,2}(st|nd|rd|th) century\b|\bcentur(y|ies)\b`)
	monthRe   = lazy(`\b(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b`)
	versionRe = lazy(`\bv?[0-9]+\.[0-9]+(\.[0-9]+)?\b`)
	numberRe  = lazy(`[0-9]|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|hundreds|thousand|thousands|million|millions|billion|billions|dozen|dozens|half|quarter|once|twice|single|double)\b`)
	commandRe = lazy("`[^`]+`|(^|\\s)--?[a-z][a-z0-9.-]+|:\\s*$")
	settingRe = lazy("`[^`]+`|(^|\\s)--?[a-z][a-z0-9.-]+|\\b[a-z]+_[a-z_]+\\b|\\b[a-z]+\\.[a-z][a-z.]+\\b")
)

// typed reports whether text holds an answer of the kind the question
// asks for that the question does not already contain.
func (s *scorer) typed(text string) bool {
	switch s.q.typ {
	case timeType:
		return s.newMatch(yearRe, text) || s.newMatch(monthRe, text) || s.newMatch(versionRe, text)
	case numberType:
		return s.newMatch(numberRe, text)
	case personType, placeType:
		return s.hasNewName(text)
	case howToType:
		return commandRe.MatchString(text) || imperative(text)
	case settingType:
		// A key, a flag, or a named setting ("the Message Content intent").
		return s.newMatch(settingRe, text) || s.hasNewName(text)
	}
	return false
}

// newMatch reports whether re matches text somewhere the question's own
// words do not.
func (s *scorer) newMatch(re *lazyRegexp, text string) bool {
	for _, m := range re.FindAllString(text, -1) {
		fresh := false
		for _, t := range retrieval.Tokenize(m) {
			if !s.own[t.Text] {
				fresh = true
			}
		}
		if fresh {
			return true
		}
	}
	return false
}

// hasNewName reports whether text has a capitalised word, not opening the
// sentence, that is not one of the question's words: a name.
func (s *scorer) hasNewName(text string) bool {
	for i, t := range retrieval.Tokenize(text) {
		if i == 0 || s.own[t.Text] || retrieval.IsStopWord(t.Text) {
			continue
		}
		r, _ := utf8.DecodeRuneInString(text[t.Start:])
		if unicode.IsUpper(r) {
			return true
		}
	}
	return false
}

// imperative reports whether a sentence opens with a verb of instruction.
func imperative(text string) bool {
	w := strings.ToLower(strings.TrimLeft(text, "-*0123456789. "))
	for _, v := range []string{"run ", "use ", "set ", "add ", "start ", "install ", "download ", "create ", "configure ", "enable ", "open ", "type ", "pass ", "put ", "point ", "click ", "go to ", "select ", "copy ", "build ", "call ", "invite ", "give "} {
		if strings.HasPrefix(w, v) {
			return true
		}
	}
	return false
}

// rescore reads and rescores a pool of hits, best first.
func (s *scorer) rescore(hits []retrieval.Hit) []candidate {
	if len(hits) == 0 {
		return nil
	}
	top := hits[0].Score
	docCover := map[string]float64{}
	cands := make([]candidate, len(hits))
	for ci, h := range hits {
		c := candidate{hit: h, best: -1}
		f := &c.features
		if top > 0 {
			f[fBM25] = h.Score / top
		}
		// The title and heading count for the passage, and half for each
		// unit under them (a sentence inherits what its heading names).
		head, _ := s.matchText(h.Passage.Title + " . " + h.Passage.Section)
		texts := corpus.Units(h.Passage.Text)
		body := make([]float64, len(head))
		for pos, text := range texts {
			m, positions := s.matchText(text)
			for i := range m {
				body[i] = max(body[i], m[i])
				m[i] = max(m[i], head[i]/2)
			}
			u := unit{text: text, cand: ci, pos: pos, match: m, cover: s.coverage(m), prox: proximity(positions, len(s.q.terms))}
			if u.cover > 0 {
				// Units matching nothing are never best; a neighbour's
				// kind of answer is looked at when the answer is chosen.
				u.typed = s.typed(text)
				u.defines = s.defines(text)
			}
			u.score = unitScore(u)
			c.units = append(c.units, u)
			if c.best < 0 || u.score > c.units[c.best].score {
				c.best = len(c.units) - 1
			}
		}
		if len(texts) == 0 || corpus.IsTable(h.Passage.Text) {
			// Code, and a table's header row, are matched as a whole.
			m, _ := s.matchText(h.Passage.Text)
			for i := range body {
				body[i] = max(body[i], m[i])
			}
		}
		whole := make([]float64, len(head))
		for i := range whole {
			whole[i] = max(head[i], body[i])
		}
		f[fCover] = s.coverage(whole)
		f[fIdent] = s.identShare(h.Passage)
		f[fHeading] = s.coverage(head)
		dc, ok := docCover[h.Passage.DocID]
		if !ok {
			dc = s.docCoverage(h.Passage.DocID)
			docCover[h.Passage.DocID] = dc
		}
		f[fDoc] = dc
		if c.best >= 0 {
			b := c.units[c.best]
			f[fUnit], f[fProx] = b.cover, b.cover*b.prox
			if b.typed {
				f[fTyped] = 1
			}
			if b.defines {
				f[fDefines] = 1
			}
		}
		for i, x := range f {
			c.score += s.weights[i] * x
		}
		cands[ci] = c
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	for ci := range cands {
		for ui := range cands[ci].units {
			cands[ci].units[ui].cand = ci
		}
	}
	return cands
}

// definitionTails are what follows a subject being defined: "X is …",
// "X, a …", "X (…)", "X means …".
var definitionTails = []string{" is ", " are ", " was ", " were ", ", a ", ", an ", ", the ", " (", " means ", " refers to ", " stands for "}

// defines reports whether a unit reads as a definition of the question's
// subject ("What is X?"): the subject's terms, in order (stop words
// between them allowed, spelling corrections applied), followed by "is",
// "are", "means", ", a", "(" ….
func (s *scorer) defines(text string) bool {
	want := s.q.subjectTerms
	if len(want) == 0 {
		return false
	}
	toks := retrieval.Tokenize(text)
	for start := range toks {
		i, j := start, 0
		for ; i < len(toks) && j < len(want); i++ {
			w := toks[i].Text
			if retrieval.IsStopWord(w) && j > 0 {
				continue
			}
			if s.ix.Stem(w) != want[j] {
				break
			}
			j++
		}
		if j < len(want) {
			continue
		}
		rest := strings.ToLower(text[toks[i-1].End:])
		for _, tail := range definitionTails {
			if strings.HasPrefix(rest, tail) || strings.HasPrefix(rest, strings.TrimRight(tail, " ")+"\n") {
				return true
			}
		}
	}
	return false
}

// identRe finds identifiers in a question: command-line flags, words
// joined by "_" or "." (not bare version numbers), "_suffix" names and
// camelCase.
var identRe = lazy(`--[A-Za-z][A-Za-z0-9_.\-/]*|[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*(?:[_.][A-Za-z0-9]+)+|\b_[A-Za-z0-9]+|\b[a-z]+[A-Z][A-Za-z0-9]*\b`)

// identifiers lists a question's identifiers, lower-cased, without a
// flag's dashes or a trailing full stop.
func identifiers(question string) []string {
	var out []string
	for _, m := range identRe.FindAllString(question, -1) {
		if id := strings.ToLower(strings.TrimRight(strings.TrimLeft(m, "-"), ".")); len(id) >= 2 {
			out = append(out, id)
		}
	}
	return out
}

// identShare is the share of the question's identifiers a passage holds
// verbatim (0 when the question has none).
func (s *scorer) identShare(p corpus.Passage) float64 {
	if len(s.idents) == 0 {
		return 0
	}
	text := strings.ToLower(p.Title + "\n" + p.Section + "\n" + p.Text)
	n := 0
	for _, id := range s.idents {
		if strings.Contains(text, id) {
			n++
		}
	}
	return float64(n) / float64(len(s.idents))
}

// docCoverage is the share of the question's IDF mass found anywhere in a
// document.
func (s *scorer) docCoverage(docID string) float64 {
	m := make([]float64, len(s.q.terms))
	for i, t := range s.q.terms {
		if s.ix.InDoc(t.term, docID) {
			m[i] = s.termMatch(i, t.term)
			continue
		}
		for _, d := range t.derived {
			if s.ix.InDoc(d, docID) {
				m[i] = derivedWeight
				break
			}
		}
	}
	return s.coverage(m)
}
