package answer

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/footnote-bot/footnote/answer/cited"
	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/retrieval"
)

// Lookups, passages and autocomplete: what /lookup, /cite, "Find source"
// and the passage autocomplete show, ranked by the same Retriever as
// Answer (Options.Retriever, else the index), so that they agree with
// /ask whichever engine ranks.

// defaultLookup is how many passages Lookup returns unless asked.
const defaultLookup = 5

// cite is a passage as a citation numbered n.
func cite(p corpus.Passage, n int, score float64, matched []string) Citation {
	return Citation{N: n, PassageID: p.ID, DocID: p.DocID, Title: p.Title, Section: p.Section,
		Paragraph: p.Paragraph, URL: FragmentURL(p.URL, p.Text), Text: p.Quote(), Score: score, Matched: matched}
}

// snippet cuts text around the matched terms as h asks.
func snippet(text string, matched []string, h cited.Highlight) string {
	if h.Clean != nil {
		text = h.Clean(text)
	}
	return retrieval.Snippet(text, matched, h.Runes, h.Mark)
}

// Lookup returns the passages best matching a query (BM25, as ranked by
// the Retriever), each with its matched terms and a snippet of its text
// cut as l.Highlight asks. It fails with ErrEmptyQuestion or
// ErrQuestionTooLong for a query that cannot be searched, and with
// ErrUnknownArticle when l.Article names no article.
func (s *Service) Lookup(ctx context.Context, l cited.Lookup) ([]Citation, error) {
	q, err := CleanQuestion(l.Query)
	if err != nil {
		return nil, err
	}
	ix := s.index()
	var opt retrieval.Options
	if l.Article != "" {
		if _, ok := ix.Doc(l.Article); !ok {
			return nil, ErrUnknownArticle
		}
		opt.Docs = []string{l.Article}
	}
	n := l.N
	if n <= 0 {
		n = defaultLookup
	}
	hits := s.search(ctx, ix, ix.ParseQuery(q), n, opt)
	out := make([]Citation, len(hits))
	for i, h := range hits {
		out[i] = cite(h.Passage, i+1, h.Score, h.Matched)
		out[i].Snippet = snippet(h.Passage.Text, h.Matched, l.Highlight)
	}
	return out, nil
}

// Passage returns the passage with this ID or, when no passage has it
// (text typed instead of a chosen passage), the best match for it as a
// query; false when there is neither.
func (s *Service) Passage(ctx context.Context, idOrText string) (Citation, bool) {
	ix := s.index()
	p, ok := ix.Passage(strings.TrimSpace(idOrText))
	if ok {
		return cite(p, 1, 0, nil), true
	}
	terms := ix.ParseQuery(idOrText)
	if len(terms) == 0 {
		return Citation{}, false
	}
	hits := s.search(ctx, ix, terms, 1, retrieval.Options{})
	if len(hits) == 0 {
		return Citation{}, false
	}
	return cite(hits[0].Passage, 1, hits[0].Score, hits[0].Matched), true
}

// Suggest offers passages for what a user has typed so far: with nothing
// typed, the first passages; else the passage with that ID, then the
// passages of articles whose title holds the text, then a search for the
// typed words, the last one, usually half typed, expanded to the terms it
// begins. Each comes with a snippet: its text, or for a passage found by
// the search, its text cut around the matches to sg.Runes runes.
func (s *Service) Suggest(ctx context.Context, sg cited.Suggest) []Citation {
	ix := s.index()
	var out []Citation
	seen := map[string]bool{}
	add := func(p corpus.Passage, score float64, matched []string, snip string) {
		if len(out) < sg.N && !seen[p.ID] && (sg.MaxIDRunes <= 0 || utf8.RuneCountInString(p.ID) <= sg.MaxIDRunes) {
			seen[p.ID] = true
			c := cite(p, len(out)+1, score, matched)
			c.Snippet = snip
			out = append(out, c)
		}
	}
	if sg.Typed == "" {
		for i := 0; i < ix.Len() && len(out) < sg.N; i++ {
			p := ix.PassageAt(i)
			add(p, 0, nil, p.Text)
		}
		return out
	}
	if p, ok := ix.Passage(sg.Typed); ok {
		add(p, 0, nil, p.Text)
	}
	t := strings.ToLower(sg.Typed)
	for _, d := range ix.Docs() {
		if strings.Contains(strings.ToLower(d.Title), t) {
			for _, p := range ix.DocPassages(d.ID) {
				add(p, 0, nil, p.Text)
			}
		}
	}
	terms := retrieval.ParseQuery(sg.Typed)
	if toks := retrieval.Tokenize(sg.Typed); len(toks) > 0 {
		for _, t := range ix.TermsWithPrefix(toks[len(toks)-1].Text, 5) {
			terms = append(terms, retrieval.QueryTerm{Term: t, Weight: 0.5})
		}
	}
	if len(terms) == 0 || sg.N <= 0 {
		return out
	}
	for _, h := range s.search(ctx, ix, terms, sg.N, retrieval.Options{}) {
		add(h.Passage, h.Score, h.Matched, retrieval.Snippet(h.Passage.Text, h.Matched, sg.Runes, [2]string{"", ""}))
	}
	return out
}

// Articles lists the articles answers come from, in the index's order.
func (s *Service) Articles() []Article {
	docs := s.index().Docs()
	out := make([]Article, len(docs))
	for i, d := range docs {
		out[i] = Article{ID: d.ID, Title: d.Title, URL: d.URL, Author: d.Author, Passages: d.Count}
	}
	return out
}

// FindSource is Sources with a snippet of each passage cut as h asks
// (Discord's "Find source").
func (s *Service) FindSource(ctx context.Context, claim string, h cited.Highlight) (Answer, error) {
	a, err := s.Sources(ctx, claim)
	if err != nil {
		return a, err
	}
	for i := range a.Citations {
		c := &a.Citations[i]
		c.Snippet = snippet(c.Text, c.Matched, h)
	}
	return a, nil
}
