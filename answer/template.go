package answer

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/prompts"
	"github.com/footnote-bot/footnote/retrieval"
)

// Answer shape.
const (
	maxSentences     = 3
	maxAnswerRunes   = 700
	relatedMinFactor = 0.35 // uncited passages listed if within this share of the top score
)

// Whole-article questions, matched on the folded question.
var (
	authorRe   = lazy(`\b(who (wrote|writes|authored|is the author)|author|written by|writer)\b`)
	dateRe     = lazy(`\b(when (was|is|did) .*(written|published|posted|come out)|publication date|date of (the|this)|published when)\b`)
	aboutRe    = lazy(`\b(what('s| is| are)? (the|this|that) (article|text|piece|post|guide|document)s? (about|on)|summar(y|ise|ize)|main (point|idea|argument|message)|gist|tl;?dr)\b`)
	sectionsRe = lazy(`\b(sections?|headings?|outline|table of contents|chapters?)\b`)
	// metaWords are the words those patterns use; the rest of the question
	// picks the article or the sections.
	metaWords = map[string]bool{"section": true, "sections": true, "heading": true, "headings": true, "outline": true,
		"table": true, "contents": true, "chapter": true, "chapters": true, "author": true, "wrote": true, "written": true,
		"writer": true, "authored": true, "published": true, "publication": true, "date": true, "summary": true,
		"summarise": true, "summarize": true, "main": true, "point": true, "idea": true, "gist": true, "text": true,
		"piece": true, "post": true, "document": true, "list": true, "are": true, "is": true, "the": true, "its": true, "this": true}
)

// definitionRe matches "What is X?" and "Who are the X?".
var definitionRe = lazy(`(?i)^\s*(what|who)\s+(is|are|was|were)\s+(an?\s+|the\s+)?([^?]{1,80}?)\s*\?*$`)

// search ranks passages: the k best by the index's BM25. With a
// Retriever, it finds the candidates (at least twice k, and at least a
// pool) and the index scores them (retrieval.Index.Rescore), so that
// answers, lookups and suggestions rank the same whichever engine finds
// the passages: Weaviate's BM25F weighs fields differently, which
// reordered near ties and changed the last of the k. Candidates the index
// does not hold are dropped: it is what footnote cites from. If the
// retriever fails, the index searches alone (logged), so a distributed
// engine's outage costs latency, not answers.
func (s *Service) search(ctx context.Context, ix Corpus, terms []retrieval.QueryTerm, k int, opt retrieval.Options) []retrieval.Hit {
	if s.opt.Retriever != nil {
		hits, err := s.opt.Retriever.SearchTerms(ctx, terms, max(2*k, s.opt.Pool), opt)
		if err == nil {
			hits = ix.Rescore(terms, hits)
			return hits[:min(k, len(hits))]
		}
		s.log.Warn("retriever failed; searching the local index", "err", err)
	}
	return ix.SearchTerms(terms, k, opt)
}

func (s *Service) abstain(ix Corpus, q string) (Answer, error) {
	text, err := s.prompts.Render(prompts.Abstain, prompts.AbstainData{Question: q, Articles: len(ix.Docs())})
	return Answer{Question: q, Text: text, Abstained: true, Backend: BackendTemplate, Citations: []Citation{}}, err
}

// templateAnswer answers without a model. It returns the hits it used, or
// none for a whole-article answer.
func (s *Service) templateAnswer(ctx context.Context, ix Corpus, q string, req Request) (Answer, []scoredPassage, error) {
	folded := strings.ToLower(strings.ReplaceAll(q, "’", "'"))
	if a, ok, err := s.metaAnswer(ix, q, folded, req); ok || err != nil {
		return a, nil, err
	}
	sc, cands := s.rank(ctx, ix, q, req)
	sig := sc.signals(cands)
	conf := s.decide(sig)
	if len(cands) == 0 || (!s.opt.NoAbstain && conf < s.opt.MinConfidence) {
		a, err := s.abstain(ix, q)
		a.Confidence, a.Signals = conf, sig
		return a, nil, err
	}
	sents := sc.pickUnits(cands)
	// Cite passages in order of the sentences that use them, then related
	// passages (by question score) that BM25 also ranks close to the top.
	var used []int
	idx := map[int]int{}
	for _, st := range sents {
		if _, ok := idx[st.cand]; !ok {
			idx[st.cand] = len(used)
			used = append(used, st.cand)
		}
	}
	ps := make([]scoredPassage, 0, s.opt.TopK)
	for _, ci := range used {
		ps = append(ps, scoredPassage{Passage: cands[ci].hit.Passage, score: cands[ci].hit.Score})
	}
	top := 0.0
	for _, c := range cands {
		top = max(top, c.hit.Score)
	}
	for ci := range cands {
		if len(ps) >= s.opt.TopK {
			break
		}
		if _, ok := idx[ci]; ok || cands[ci].hit.Score < relatedMinFactor*top {
			continue
		}
		ps = append(ps, scoredPassage{Passage: cands[ci].hit.Passage, score: cands[ci].hit.Score})
	}
	// Keep the sentences in reading order: by citation, then position.
	sort.SliceStable(sents, func(i, j int) bool {
		if idx[sents[i].cand] != idx[sents[j].cand] {
			return idx[sents[i].cand] < idx[sents[j].cand]
		}
		return sents[i].pos < sents[j].pos
	})
	data := prompts.AnswerData{Question: q}
	length := 0
	for _, st := range sents {
		length += utf8.RuneCountInString(st.text)
	}
	for _, st := range sents {
		// A code block counts towards the answer's length bound.
		code := s.codeAfter(ix, cands[st.cand], st)
		if n := utf8.RuneCountInString(code); length+n > maxAnswerRunes {
			code = ""
		} else {
			length += n
		}
		data.Sentences = append(data.Sentences, prompts.Sentence{Text: st.text, N: idx[st.cand] + 1, Code: code})
	}
	text, err := s.prompts.Render(prompts.Answer, data)
	// The bound holds for the text as rendered, markers aside: past it,
	// the last code block goes, then the last sentence.
	for err == nil && utf8.RuneCountInString(bareMarkerRe.ReplaceAllString(text, "")) > maxAnswerRunes {
		dropped := false
		for k := len(data.Sentences) - 1; k >= 0 && !dropped; k-- {
			if data.Sentences[k].Code != "" {
				data.Sentences[k].Code, dropped = "", true
			}
		}
		if !dropped {
			if len(data.Sentences) < 2 {
				break // one sentence, cut to fit (pickUnits)
			}
			data.Sentences = data.Sentences[:len(data.Sentences)-1]
		}
		text, err = s.prompts.Render(prompts.Answer, data)
	}
	// A passage whose only sentence went is no longer cited (sentences
	// are in citation order, so the cited ones stay 1…n).
	cited := 0
	for _, st := range data.Sentences {
		cited = max(cited, st.N)
	}
	// The LLM sees the passages in rank order.
	ranked := make([]scoredPassage, len(cands))
	for i, c := range cands {
		ranked[i] = scoredPassage{Passage: c.hit.Passage, score: c.hit.Score}
	}
	related := citations(ps[len(used):])
	for i := range related {
		related[i].N = 0
	}
	return Answer{Question: q, Text: text, Backend: BackendTemplate, Citations: citations(ps[:cited]), Related: related,
		Confidence: conf, Signals: sig}, ranked, err
}

// codeAfter is the code block a sentence introduces: the passage after
// the sentence's own when the sentence ends its passage with a colon ("Run
// it with:") and that passage is code.
func (s *Service) codeAfter(ix Corpus, c candidate, u unit) string {
	if u.pos != len(c.units)-1 || !strings.HasSuffix(strings.TrimSpace(u.text), ":") {
		return ""
	}
	next, ok := ix.Neighbour(c.hit.Passage.ID, 1)
	if !ok || !next.IsCode() {
		return ""
	}
	return next.Text
}

// rank analyses a question, searches for a pool of passages and rescores
// them for it, best first.
func (s *Service) rank(ctx context.Context, ix Corpus, q string, req Request) (*scorer, []candidate) {
	qa := analyse(ix, q, s.off)
	terms := qa.retrievalTerms()
	if s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.Debug("question analysed", "type", qa.typ.String(), "terms", qa.describe())
	}
	if req.Context != "" {
		// A follow-up keeps the earlier question's terms at half weight.
		have := map[string]bool{}
		for _, t := range terms {
			have[t.Term] = true
		}
		for _, t := range analyse(ix, req.Context, s.off).retrievalTerms() {
			if !have[t.Term] {
				terms = append(terms, retrieval.QueryTerm{Term: t.Term, Weight: 0.5 * t.Weight})
			}
		}
	}
	searchStart := time.Now()
	pool := max(s.opt.Pool, 2*s.opt.TopK)
	if qa.subject != "" {
		// "What is X?" may name X in many passages and define it in one:
		// BM25 alone cannot tell which, so look further.
		pool *= 3
	}
	hits := s.search(ctx, ix, terms, pool, retrieval.Options{Docs: req.Docs})
	if s.opt.Observer != nil {
		s.opt.Observer.Retrieved(time.Since(searchStart))
	}
	// Rescoring and the decision look at the question's own terms: an
	// earlier question steers ranking but cannot make an unrelated question
	// answerable.
	w := &s.opt.RankWeights
	if s.off[TechRescore] {
		w = &RankWeights{1}
	}
	sc := newScorer(ix, qa, q, w)
	return sc, sc.rescore(hits)
}

// Candidate is a passage of a question's pool with its ranking features
// (FeatureNames), for calibration and debugging.
type Candidate struct {
	PassageID string
	DocID     string
	Text      string // as cited (Passage.Quote)
	Features  [numFeatures]float64
	Score     float64
}

// Explain ranks a question's pool as Answer does and returns every
// candidate with its features, best first.
func (s *Service) Explain(ctx context.Context, question string) ([]Candidate, error) {
	q, err := CleanQuestion(question)
	if err != nil {
		return nil, err
	}
	_, cands := s.rank(ctx, s.index(), q, Request{Question: q})
	out := make([]Candidate, len(cands))
	for i, c := range cands {
		out[i] = Candidate{PassageID: c.hit.Passage.ID, DocID: c.hit.Passage.DocID, Text: c.hit.Passage.Quote(), Features: c.features, Score: c.score}
	}
	return out, nil
}

// poolSize is how many passages BM25 hands to rescoring.
const poolSize = 30

// cut shortens text to at most n characters at a word boundary, ending
// it with "…".
func cut(text string, n int) string {
	r := []rune(text)
	if len(r) <= n {
		return text
	}
	end := n - 1
	for i := end; i > n/2; i-- {
		if unicode.IsSpace(r[i]) {
			end = i
			break
		}
	}
	return strings.TrimRightFunc(string(r[:end]), unicode.IsSpace) + "…"
}

// bareMarkerRe finds the citation markers ("[1]") of a rendered answer,
// without the spaces around them, which count towards its length.
var bareMarkerRe = lazy(`\[\d{1,3}\]`)

// markerRoom is what a sentence's marker adds to the answer once markers
// are set aside: the spaces around it.
const markerRoom = 2

// anaphorRe finds a sentence that opens by referring back ("It appoints
// …", "He had been replaced …"): it needs the sentence before it.
var anaphorRe = lazy(`^(It|Its|He|His|She|Her|They|Their|Them|This|These|That|Those|Such|There)\b`)

// pickUnits chooses the answer's sentences: the best unit of the best
// candidate; the sentence before it when it opens by referring back; the
// sentence next to it when the question asks for a kind of answer (a
// number, a name, a date) that it lacks and its neighbour has; the
// sentence after it when it would otherwise stand alone and that one
// matches a question word or refers back; then units of
// the candidates that add question terms not yet covered and score at
// least half as well, up to three sentences and 700 characters.
func (s *scorer) pickUnits(cands []candidate) []unit {
	typedQuestion := s.q.typ != anyType || s.q.subject != ""
	var all []unit
	for ci, c := range cands {
		if ci >= 5 {
			break
		}
		for _, u := range c.units {
			if u.cover > 0 {
				all = append(all, u)
			}
		}
	}
	top := cands[0]
	if top.best < 0 {
		// A code block, or a passage matched on its title or heading only:
		// quote its first unit, or nothing but the citation.
		for _, u := range top.units {
			return []unit{u}
		}
		return nil
	}
	first := top.units[top.best]
	if utf8.RuneCountInString(first.text) > maxAnswerRunes {
		// One overlong sentence or list item: quote its start; the
		// citation holds the rest.
		first.text = cut(first.text, maxAnswerRunes-markerRoom)
	}
	chosen := []unit{first}
	covered := append([]float64(nil), first.match...)
	length := utf8.RuneCountInString(first.text)
	taken := map[[2]int]bool{{first.cand, first.pos}: true}
	take := func(u unit) bool {
		l := utf8.RuneCountInString(u.text)
		// Each sentence costs its marker's spaces too.
		if len(chosen) >= maxSentences || length+l+markerRoom*(len(chosen)+1) > maxAnswerRunes || taken[[2]int{u.cand, u.pos}] {
			return false
		}
		chosen = append(chosen, u)
		taken[[2]int{u.cand, u.pos}] = true
		length += l
		for i, m := range u.match {
			covered[i] = max(covered[i], m)
		}
		return true
	}
	if first.pos > 0 && anaphorRe.MatchString(first.text) {
		take(top.units[first.pos-1])
	}
	if typedQuestion && !first.typed {
		for _, n := range []int{first.pos + 1, first.pos - 1} {
			if n < 0 || n >= len(top.units) {
				continue
			}
			nb := top.units[n]
			nb.typed = s.typed(nb.text) || s.defines(nb.text)
			if nb.typed && take(nb) {
				break
			}
		}
	}
	if len(chosen) == 1 && first.pos+1 < len(top.units) {
		// The sentence that matches best often restates the question, and
		// the one after it says what is new: a lone sentence brings its
		// successor in the passage along when that one is about the
		// question too (a question word, or it refers back).
		next := top.units[first.pos+1]
		// Its own words: a unit's cover also counts its heading's.
		if own, _ := s.matchText(next.text); s.coverage(own) > 0 || anaphorRe.MatchString(next.text) {
			take(next)
		}
	}
	// A unit's rank for the answer: its own score and its passage's.
	rankOf := func(u unit) float64 {
		r := u.score
		if top.score > 0 {
			r += 0.5 * cands[u.cand].score / top.score
		}
		return r
	}
	sort.SliceStable(all, func(i, j int) bool { return rankOf(all[i]) > rankOf(all[j]) })
	for _, u := range all {
		if len(chosen) >= maxSentences || rankOf(u) < 0.5*rankOf(first) {
			break
		}
		adds := false
		for i, m := range u.match {
			if m > covered[i] {
				adds = true
			}
		}
		if adds {
			take(u)
		}
	}
	return chosen
}

// metaAnswer answers questions about an article as a whole from its
// metadata: who wrote it, when, what it is about, its sections.
func (s *Service) metaAnswer(ix Corpus, q, folded string, req Request) (Answer, bool, error) {
	kind := ""
	switch {
	case sectionsRe.MatchString(folded):
		kind = prompts.Sections
	case authorRe.MatchString(folded):
		kind = prompts.Author
	case dateRe.MatchString(folded):
		kind = prompts.Date
	case aboutRe.MatchString(folded):
		kind = prompts.About
	default:
		return Answer{}, false, nil
	}
	// The rest of the question names the article (or the sections).
	var rest []retrieval.QueryTerm
	for _, t := range analyse(ix, q, s.off).retrievalTerms() {
		if !metaWords[t.Term] && !metaWords[strings.TrimSuffix(t.Term, "s")] {
			rest = append(rest, t)
		}
	}
	docs := ix.Docs()
	var doc retrieval.DocInfo
	switch {
	case len(req.Docs) == 1:
		d, ok := ix.Doc(req.Docs[0])
		if !ok {
			return Answer{}, false, nil
		}
		doc = d
	case len(docs) == 1:
		doc = docs[0]
	default:
		hits := ix.SearchTerms(rest, 1, retrieval.Options{Docs: req.Docs})
		if len(hits) == 0 {
			return Answer{}, false, nil
		}
		doc, _ = ix.Doc(hits[0].Passage.DocID)
	}
	ps := ix.DocPassages(doc.ID)
	if len(ps) == 0 {
		return Answer{}, false, nil
	}
	data := prompts.DocData{Title: doc.Title, Author: doc.Author, Date: doc.Date, URL: doc.URL}
	var cited []scoredPassage
	cite := func(p corpus.Passage) int {
		for i, c := range cited {
			if c.ID == p.ID {
				return i + 1
			}
		}
		cited = append(cited, scoredPassage{Passage: p})
		return len(cited)
	}
	sectionRefs := func(filter []retrieval.QueryTerm) []prompts.SectionRef {
		want := map[string]bool{}
		for _, t := range filter {
			want[t.Term] = true
		}
		var refs []prompts.SectionRef
		for _, p := range ps {
			if p.Heading == "" {
				continue
			}
			if len(want) > 0 {
				match := false
				for _, t := range retrieval.Analyze(p.Heading) {
					if want[t] {
						match = true
					}
				}
				if !match {
					continue
				}
			}
			refs = append(refs, prompts.SectionRef{Heading: p.Heading, N: cite(p)})
		}
		return refs
	}
	switch kind {
	case prompts.Author:
		if doc.Author == "" {
			return Answer{}, false, nil
		}
		data.N = cite(authorPassage(ps))
	case prompts.Date:
		if doc.Date == "" {
			return Answer{}, false, nil
		}
		data.N = cite(ps[0])
	case prompts.About:
		lead := corpus.SplitSentences(ps[0].Text)
		if len(lead) == 0 {
			return Answer{}, false, nil
		}
		data.Lead = lead[0]
		data.N = cite(ps[0])
		data.Sections = sectionRefs(nil)
	case prompts.Sections:
		// Terms that name the article are not a section filter.
		var filter []retrieval.QueryTerm
		title := map[string]bool{}
		for _, t := range retrieval.Analyze(doc.Title) {
			title[t] = true
		}
		for _, t := range rest {
			if !title[t.Term] {
				filter = append(filter, t)
			}
		}
		data.Sections = sectionRefs(filter)
		data.Matching = len(data.Sections) > 0 && len(filter) > 0
		if len(data.Sections) == 0 {
			data.Sections = sectionRefs(nil)
		}
		if len(data.Sections) == 0 {
			return Answer{}, false, nil
		}
	}
	text, err := s.prompts.Render(kind, data)
	return Answer{Question: q, Text: text, Backend: BackendTemplate, Citations: citations(cited)}, true, err
}

// authorPassage is the author bio if the article has one, else its first
// passage.
func authorPassage(ps []corpus.Passage) corpus.Passage {
	for _, p := range ps {
		if p.Section == corpus.AuthorSection {
			return p
		}
	}
	return ps[0]
}
