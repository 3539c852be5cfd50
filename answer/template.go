package answer

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"time"

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
	authorRe   = regexp.MustCompile(`\b(who (wrote|writes|authored|is the author)|author|written by|writer)\b`)
	dateRe     = regexp.MustCompile(`\b(when (was|is|did) .*(written|published|posted|come out)|publication date|date of (the|this)|published when)\b`)
	aboutRe    = regexp.MustCompile(`\b(what('s| is| are)? (the|this|that) (article|text|piece|post|guide|document)s? (about|on)|summar(y|ise|ize)|main (point|idea|argument|message)|gist|tl;?dr)\b`)
	sectionsRe = regexp.MustCompile(`\b(sections?|headings?|outline|table of contents|chapters?)\b`)
	// metaWords are the words those patterns use; the rest of the question
	// picks the article or the sections.
	metaWords = map[string]bool{"section": true, "sections": true, "heading": true, "headings": true, "outline": true,
		"table": true, "contents": true, "chapter": true, "chapters": true, "author": true, "wrote": true, "written": true,
		"writer": true, "authored": true, "published": true, "publication": true, "date": true, "summary": true,
		"summarise": true, "summarize": true, "main": true, "point": true, "idea": true, "gist": true, "text": true,
		"piece": true, "post": true, "document": true, "list": true, "are": true, "is": true, "the": true, "its": true, "this": true}
)

// definitionRe matches "What is X?" and "Who are the X?".
var definitionRe = regexp.MustCompile(`(?i)^(what|who)\s+(is|are|was|were)\s+(an?\s+|the\s+)?([^?]{1,80}?)\s*\?*$`)

// defines reports whether a sentence reads as a definition of subject.
func defines(sentence, subject string) bool {
	s := strings.ToLower(strings.ReplaceAll(sentence, "’", "'"))
	for _, tail := range []string{" is ", " are ", " was ", " were ", ", a ", ", an ", ", the ", " (", " means "} {
		if strings.Contains(s, subject+tail) {
			return true
		}
	}
	return false
}

// search ranks passages with the configured Retriever, or the index. If
// the retriever fails, the in-process index answers (logged), so a
// distributed engine's outage costs latency, not answers.
func (s *Service) search(ctx context.Context, ix *retrieval.Index, terms []retrieval.QueryTerm, k int, opt retrieval.Options) []retrieval.Hit {
	if s.opt.Retriever != nil {
		hits, err := s.opt.Retriever.SearchTerms(ctx, terms, k, opt)
		if err == nil {
			return hits
		}
		s.log.Warn("retriever failed; searching the local index", "err", err)
	}
	return ix.SearchTerms(terms, k, opt)
}

func (s *Service) abstain(ix *retrieval.Index, q string) (Answer, error) {
	text, err := s.prompts.Render(prompts.Abstain, prompts.AbstainData{Question: q, Articles: len(ix.Docs())})
	return Answer{Question: q, Text: text, Abstained: true, Backend: BackendTemplate, Citations: []Citation{}}, err
}

// templateAnswer answers without a model. It returns the hits it used, or
// none for a whole-article answer.
func (s *Service) templateAnswer(ctx context.Context, ix *retrieval.Index, q string, req Request) (Answer, []scoredPassage, error) {
	folded := strings.ToLower(strings.ReplaceAll(q, "’", "'"))
	if a, ok, err := s.metaAnswer(ix, q, folded, req); ok || err != nil {
		return a, nil, err
	}
	own := QueryTerms(q)
	terms := append([]retrieval.QueryTerm(nil), own...)
	if req.Context != "" {
		// A follow-up keeps the earlier question's terms at half weight.
		for _, t := range QueryTerms(req.Context) {
			found := false
			for i := range terms {
				if terms[i].Term == t.Term {
					found = true
					break
				}
			}
			if !found {
				terms = append(terms, retrieval.QueryTerm{Term: t.Term, Weight: 0.5 * t.Weight})
			}
		}
	}
	// Sentences are drawn from twice the passages the answer may cite, so a
	// defining sentence in a passage ranked just below the cut is found.
	// A definition question ("What is X?") looks further, since X may be
	// named in many passages and defined in one.
	pool := 2 * s.opt.TopK
	if definitionRe.MatchString(q) {
		pool = 10 * s.opt.TopK
	}
	searchStart := time.Now()
	hits := s.search(ctx, ix, terms, pool, retrieval.Options{Docs: req.Docs})
	if s.opt.Observer != nil {
		s.opt.Observer.Retrieved(time.Since(searchStart))
	}
	// Abstention looks at the question's own terms: an earlier question
	// steers ranking but cannot make an unrelated question answerable.
	if len(hits) == 0 || Coverage(ix, own, hits[0].Matched) < s.opt.MinCoverage {
		a, err := s.abstain(ix, q)
		return a, nil, err
	}
	ps := make([]scoredPassage, len(hits))
	for i, h := range hits {
		ps[i] = scoredPassage{Passage: h.Passage, score: h.Score}
	}
	sents := pickSentences(ix, q, terms, hits)
	// Cite passages in order of the sentences that use them.
	var used []int
	idx := map[int]int{}
	for _, st := range sents {
		if _, ok := idx[st.hit]; !ok {
			idx[st.hit] = len(used)
			used = append(used, st.hit)
		}
	}
	ordered := sortCitedFirst(ps, used)
	top := hits[0].Score
	cut := len(used)
	for cut < len(ordered) && cut < s.opt.TopK && ordered[cut].score >= relatedMinFactor*top {
		cut++
	}
	ordered = ordered[:cut]
	// Keep the sentences in reading order: by passage rank, then position.
	sort.SliceStable(sents, func(i, j int) bool {
		if idx[sents[i].hit] != idx[sents[j].hit] {
			return idx[sents[i].hit] < idx[sents[j].hit]
		}
		return sents[i].pos < sents[j].pos
	})
	data := prompts.AnswerData{Question: q}
	for _, st := range sents {
		data.Sentences = append(data.Sentences, prompts.Sentence{Text: st.text, N: idx[st.hit] + 1})
	}
	text, err := s.prompts.Render(prompts.Answer, data)
	return Answer{Question: q, Text: text, Backend: BackendTemplate, Citations: citations(ordered)}, ps, err
}

type sentence struct {
	text  string
	hit   int // index into hits
	pos   int // position in the passage
	terms map[string]bool
	score float64
}

// pickSentences scores every sentence of the hits against the query: the
// IDF mass of the query terms it contains (each once), plus a share of its
// passage's BM25 score so that ties go to the better passage. The best
// sentence is taken, then others that add query terms not yet covered and
// score at least half as well, up to three sentences and 700 characters.
//
// For a definition question ("What is X?", "Who are X?") a sentence that
// defines X ("X is …", "X, a …") scores a bonus.
func pickSentences(ix *retrieval.Index, question string, q []retrieval.QueryTerm, hits []retrieval.Hit) []sentence {
	subject := ""
	if m := definitionRe.FindStringSubmatch(question); m != nil {
		subject = strings.ToLower(strings.TrimSpace(m[4]))
	}
	want := map[string]float64{}
	total := 0.0
	for _, t := range q {
		idf, _ := ix.IDF(t.Term)
		want[t.Term] = idf * t.Weight
		total += idf * t.Weight
	}
	if total == 0 {
		total = 1
	}
	top := hits[0].Score
	var all []sentence
	for hi, h := range hits {
		// A sentence inherits half the weight of query terms its section
		// heading carries that it lacks itself ("Using your own articles" ›
		// "Point footnote at …"), and a bonus for a heading on the subject.
		heading := map[string]bool{}
		for _, t := range retrieval.Analyze(h.Passage.Section) {
			heading[t] = true
		}
		for pos, st := range corpus.SplitSentences(h.Passage.Text) {
			terms := map[string]bool{}
			mass := 0.0
			for _, t := range retrieval.Analyze(st) {
				if w, ok := want[t]; ok && !terms[t] {
					terms[t] = true
					mass += w
				}
			}
			if mass == 0 {
				continue
			}
			headingMass := 0.0
			for t := range heading {
				if w, ok := want[t]; ok {
					headingMass += w
					if !terms[t] {
						mass += w / 2
					}
				}
			}
			// A section whose heading names the question's subject is about
			// it: its sentences win ties against passing mentions elsewhere.
			score := mass/total + 0.5*h.Score/top + 0.25*headingMass/total
			if subject != "" && defines(st, subject) {
				score += 0.5
			}
			all = append(all, sentence{text: st, hit: hi, pos: pos, terms: terms, score: score})
		}
	}
	if len(all) == 0 {
		// The passage matched on its title or heading only: quote its first sentence.
		first := corpus.SplitSentences(hits[0].Passage.Text)
		if len(first) == 0 {
			return nil
		}
		return []sentence{{text: first[0], hit: 0}}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].score > all[j].score })
	chosen := []sentence{all[0]}
	covered := map[string]bool{}
	for t := range all[0].terms {
		covered[t] = true
	}
	length := len([]rune(all[0].text))
	for _, c := range all[1:] {
		if len(chosen) >= maxSentences || c.score < 0.5*all[0].score {
			break
		}
		adds := false
		for t := range c.terms {
			if !covered[t] {
				adds = true
			}
		}
		l := len([]rune(c.text))
		if !adds || length+l > maxAnswerRunes {
			continue
		}
		chosen = append(chosen, c)
		length += l
		for t := range c.terms {
			covered[t] = true
		}
	}
	return chosen
}

// metaAnswer answers questions about an article as a whole from its
// metadata: who wrote it, when, what it is about, its sections.
func (s *Service) metaAnswer(ix *retrieval.Index, q, folded string, req Request) (Answer, bool, error) {
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
	for _, t := range QueryTerms(q) {
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
