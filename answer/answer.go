// Package answer turns a question into a short answer with numbered
// citations: retrieved passages → the sentences that answer (template
// answers, the default) or an LLM answer whose citations are checked against
// the passages it was given.
package answer

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/footnote-bot/footnote/answer/cited"
	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/prompts"
	"github.com/footnote-bot/footnote/retrieval"
)

// Model is what LLM answers need from a language model. onDelta, when not
// nil, receives the text generated so far as it streams in; tokens is
// what the call cost, as the server counted it (0 when it did not say).
type Model interface {
	Complete(ctx context.Context, system, user string, onDelta func(soFar string)) (text string, tokens int, err error)
}

// Budget limits what the language model may cost (llm_daily_tokens_*). A
// nil Budget is no limit.
type Budget interface {
	// Allow reports whether a question from user in guild may use the
	// model, needing up to promptTokens for its prompt (an estimate) plus
	// the answer's bound; if not, why, for the reader.
	Allow(ctx context.Context, guild, user string, promptTokens int) (ok bool, why string)
	// Spend records the tokens a question used.
	Spend(ctx context.Context, guild, user string, tokens int)
}

// Observer is told how long retrieval and LLM calls took, for metrics. A
// nil Observer is allowed.
type Observer interface {
	Retrieved(took time.Duration)
	// LLM reports an LLM call; reason is empty on success, else why the
	// template answer was used.
	LLM(took time.Duration, reason string)
}

// The values the service takes and gives live in package cited, which a
// consumer can import without depending on retrieval.
type (
	Request  = cited.Request
	Citation = cited.Citation
	Answer   = cited.Answer
	Signals  = cited.Signals
	Article  = cited.Article
)

// Backends.
const (
	BackendTemplate = cited.BackendTemplate
	BackendLLM      = cited.BackendLLM
)

// Limits on questions.
const (
	MaxQuestionRunes = cited.MaxQuestionRunes
)

// Errors for questions that cannot be asked, and for unknown articles.
var (
	ErrEmptyQuestion   = cited.ErrEmptyQuestion
	ErrQuestionTooLong = cited.ErrQuestionTooLong
	ErrUnknownArticle  = cited.ErrUnknownArticle
)

// Options configure a Service.
type Options struct {
	// TopK passages are considered (default 5).
	TopK int
	// MinConfidence is the abstention threshold (see Decide); default
	// DefaultMinConfidence.
	MinConfidence float64
	// RankWeights weigh the ranking features (see FeatureNames); zero
	// means DefaultRankWeights.
	RankWeights RankWeights
	// DecisionWeights are the abstention model's coefficients (see
	// Decide); zero means DefaultDecisionWeights.
	DecisionWeights DecisionWeights
	// Without switches techniques off (see Techniques), to measure what
	// each adds; unknown names are ignored.
	Without []string
	// Pool is how many passages BM25 hands to rescoring (default 30).
	Pool int
	// NoAbstain answers every question that matches any passage, whatever
	// its confidence (for footnote qa --sweep and calibration).
	NoAbstain bool
	// Model, when not nil, answers from the passages; nil means template
	// answers only.
	Model Model
	// Budget, when set, limits the model's use per server and user.
	Budget Budget
	// LLMTimeout bounds one LLM answer (default 20s).
	LLMTimeout time.Duration
	// ContextChars is the budget of passage text in an LLM prompt.
	ContextChars int
	Logger       *slog.Logger
	Observer     Observer
	// Cache, when not nil and CacheTTL is positive, keeps answers to
	// the same question against the same articles for CacheTTL (see
	// AnswerCacheKey); follow-ups are never cached.
	Cache    Cache
	CacheTTL time.Duration
	// Retriever, when not nil, finds the passages (e.g. in Weaviate) that
	// the index then scores, for answers, lookups and suggestions alike;
	// the index still lists the articles and gives the term statistics
	// that abstention uses.
	Retriever Retriever
}

// Retriever finds passages for analysed query terms outside the
// in-process index (which then scores them: see Options.Retriever).
type Retriever interface {
	SearchTerms(ctx context.Context, q []retrieval.QueryTerm, k int, opt retrieval.Options) ([]retrieval.Hit, error)
}

// Service answers questions from the index it is given.
type Service struct {
	index   func() Corpus
	prompts *prompts.Set
	opt     Options
	off     techniques
	log     *slog.Logger
}

// Corpus is what answering reads of the articles: a *retrieval.Index, or
// a server's own articles searched together with the shared ones
// (*retrieval.Union).
type Corpus interface {
	SearchTerms(q []retrieval.QueryTerm, k int, opt retrieval.Options) []retrieval.Hit
	Rescore(q []retrieval.QueryTerm, hits []retrieval.Hit) []retrieval.Hit
	ParseQuery(q string) []retrieval.QueryTerm
	Stem(w string) string
	IDF(term string) (float64, bool)
	Spellings(word string) []string
	Correct(word string) (retrieval.Correction, bool)
	Derived(term string) []string
	TermsWithPrefix(prefix string, n int) []string
	Docs() []retrieval.DocInfo
	Doc(id string) (retrieval.DocInfo, bool)
	DocPassages(id string) []corpus.Passage
	Passage(id string) (corpus.Passage, bool)
	Neighbour(id string, delta int) (corpus.Passage, bool)
	PassageAt(i int) corpus.Passage
	InDoc(term, docID string) bool
	Len() int
	Fingerprint() string
}

var (
	_ Corpus = (*retrieval.Index)(nil)
	_ Corpus = (*retrieval.Union)(nil)
)

// New returns a Service reading the current index from index (called once
// per question, so a reload takes effect for the next question).
func New(index func() *retrieval.Index, p *prompts.Set, opt Options) *Service {
	return NewOver(func() Corpus { return index() }, p, opt)
}

// NewOver is New over any Corpus: a server's articles with the shared
// ones, say.
func NewOver(index func() Corpus, p *prompts.Set, opt Options) *Service {
	if opt.TopK <= 0 {
		opt.TopK = 5
	}
	if opt.Pool <= 0 {
		opt.Pool = poolSize
	}
	if opt.RankWeights == (RankWeights{}) {
		opt.RankWeights = DefaultRankWeights
	}
	if opt.DecisionWeights == (DecisionWeights{}) {
		opt.DecisionWeights = DefaultDecisionWeights
	}
	if opt.MinConfidence <= 0 {
		opt.MinConfidence = DefaultMinConfidence
	}
	if opt.LLMTimeout <= 0 {
		opt.LLMTimeout = 20 * time.Second
	}
	if opt.ContextChars <= 0 {
		opt.ContextChars = 12000
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	off := techniques{}
	for _, t := range opt.Without {
		off[t] = true
	}
	return &Service{index: index, prompts: p, opt: opt, off: off, log: log}
}

// CleanQuestion makes a question safe to process: see cited.CleanQuestion.
func CleanQuestion(q string) (string, error) { return cited.CleanQuestion(q) }

// Answer answers one question. Errors are only for questions that cannot be
// asked (empty, too long) and for a broken prompt template; every other
// problem (no match, LLM down) still produces an Answer.
func (s *Service) Answer(ctx context.Context, req Request) (Answer, error) {
	q, err := CleanQuestion(req.Question)
	if err != nil {
		return Answer{}, err
	}
	ix := s.index()
	a, err := s.cachedAnswer(ctx, ix.Fingerprint, req, func() (Answer, error) { return s.answer(ctx, ix, q, req) })
	// Lists, never null, in JSON: tools read them.
	if a.Citations == nil {
		a.Citations = []Citation{}
	}
	if a.Related == nil {
		a.Related = []Citation{}
	}
	return a, err
}

// answer answers a clean question q from ix.
func (s *Service) answer(ctx context.Context, ix Corpus, q string, req Request) (Answer, error) {
	a, hits, err := s.templateAnswer(ctx, ix, q, req)
	if err != nil || a.Abstained || s.opt.Model == nil {
		return a, err
	}
	if len(hits) == 0 {
		// Whole-article answers come from metadata, not passages to
		// summarise: they need no model.
		return a, nil
	}
	// The model sees the passages the template answer could cite: the top
	// TopK, not the wider pool sentences were drawn from.
	if len(hits) > s.opt.TopK {
		hits = hits[:s.opt.TopK]
	}
	llmStart := time.Now()
	la, reason := s.llmAnswer(ctx, q, req, hits)
	if s.opt.Observer != nil {
		s.opt.Observer.LLM(time.Since(llmStart), reason)
	}
	if reason == "" {
		return la, nil
	}
	s.log.Warn("LLM answer failed; using the template answer", "reason", reason)
	notice, nerr := s.prompts.Render(prompts.FallbackNotice, prompts.NoticeData{Reason: reason})
	if nerr != nil {
		return a, nerr
	}
	a.Notice = notice
	a.Dropped = la.Dropped
	return a, nil
}

// citations numbers passages in the order given.
func citations(ps []scoredPassage) []Citation {
	out := make([]Citation, len(ps))
	for i, p := range ps {
		out[i] = Citation{N: i + 1, PassageID: p.ID, DocID: p.DocID, Title: p.Title, Section: p.Section,
			Paragraph: p.Paragraph, URL: FragmentURL(p.URL, p.Text), Text: p.Quote(), Score: p.score}
	}
	return out
}

type scoredPassage struct {
	corpus.Passage
	score float64
}

// FragmentURL adds a text fragment (#:~:text=start,end) to an article's URL
// so a browser scrolls to the passage. The URL comes back in corpus.CleanURL's
// form; one CleanURL refuses comes back empty: footnote links only to
// addresses it checked.
//
// A fragment must be words the page shows, each term within one block, or
// the browser finds nothing: start is the first words of the passage's
// first line of prose and end the last words of its last, with the markup
// the page does not show left out (list markers, code-span backticks,
// table pipes: a table row's first and last cells). A passage that is
// only code gets no fragment: code blocks are not prose to point at.
func FragmentURL(raw, text string) string {
	clean, err := corpus.CleanURL(raw)
	if err != nil {
		return "" // not a URL footnote links to
	}
	u, err := url.Parse(clean)
	if err != nil || u.Fragment != "" {
		return clean
	}
	start, end := fragmentTerms(text)
	if start == "" {
		return clean
	}
	frag := fragmentEscape(start)
	if end != "" {
		frag += "," + fragmentEscape(end)
	}
	return clean + "#:~:text=" + frag
}

// listMarker is a list item's marker at the start of a line.
var listMarker = lazy(`^\s*(?:[-*+]|\d{1,9}[.)])\s+`)

// fragmentTerms picks a text directive's start and end (end empty when
// start is the whole passage) from a passage's visible prose lines.
func fragmentTerms(text string) (start, end string) {
	var lines [][]string // each line's visible words, one block each
	inCode := false
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			inCode = !inCode
			continue
		}
		if inCode {
			continue
		}
		l = listMarker.ReplaceAllString(l, "")
		l = strings.NewReplacer("`", "", "**", "", "__", "").Replace(l)
		if cells := strings.Split(l, " | "); len(cells) > 1 {
			// A table row: its first and last cells are blocks of
			// their own.
			if w := strings.Fields(cells[0]); len(w) > 0 {
				lines = append(lines, w)
			}
			if w := strings.Fields(cells[len(cells)-1]); len(w) > 0 {
				lines = append(lines, w)
			}
			continue
		}
		if w := strings.Fields(l); len(w) > 0 {
			lines = append(lines, w)
		}
	}
	if len(lines) == 0 {
		return "", ""
	}
	first, last := lines[0], lines[len(lines)-1]
	if len(lines) == 1 && len(first) <= 8 {
		return strings.Join(first, " "), ""
	}
	return strings.Join(first[:min(4, len(first))], " "), strings.Join(last[max(0, len(last)-4):], " ")
}

// fragmentEscape percent-encodes text for a text directive, including the
// characters the directive itself uses (',', '-', '&').
func fragmentEscape(s string) string {
	e := url.PathEscape(s)
	return strings.NewReplacer(",", "%2C", "-", "%2D", "&", "%26").Replace(e)
}

// citationRe finds citation markers: [1], [2, 3], [2][3].
var citationRe = lazy(`\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]`)

// CheckCitations keeps only citation numbers between 1 and n, renumbers the
// kept ones in order of first use, and reports the old numbers in that order
// and how many markers were dropped.
func CheckCitations(text string, n int) (out string, order []int, dropped int) {
	newNum := map[int]int{}
	text = strings.ReplaceAll(text, "\x00", "") // reserved for placeholders
	// Kept markers become placeholders first, so that text left around a
	// dropped marker ("[[9]1]") cannot form a marker that is then trusted.
	out = citationRe.ReplaceAllStringFunc(text, func(m string) string {
		var kept []string
		for _, f := range strings.Split(m[1:len(m)-1], ",") {
			var v int
			fmt.Sscanf(strings.TrimSpace(f), "%d", &v)
			if v < 1 || v > n {
				dropped++
				continue
			}
			if _, ok := newNum[v]; !ok {
				order = append(order, v)
				newNum[v] = len(order)
			}
			kept = append(kept, fmt.Sprintf("\x00%d\x00", newNum[v]))
		}
		return strings.Join(kept, "")
	})
	for citationRe.MatchString(out) {
		out = citationRe.ReplaceAllStringFunc(out, func(string) string { dropped++; return "" })
	}
	out = placeholderRe.ReplaceAllString(out, "[$1]")
	// Tidy the space a dropped marker leaves before punctuation.
	out = spaceBeforePunct.ReplaceAllString(out, "$1")
	out = doubleSpace.ReplaceAllString(out, " ")
	return strings.TrimSpace(out), order, dropped
}

var placeholderRe = lazy("\x00(\\d+)\x00")

// Spaces a dropped marker leaves.
var spaceBeforePunct, doubleSpace = lazy(` +([.,;:!?])`), lazy(`  +`)

// sortCitedFirst orders passages: those in used (by first use), then the rest.
func sortCitedFirst(ps []scoredPassage, used []int) []scoredPassage {
	out := make([]scoredPassage, 0, len(ps))
	taken := map[int]bool{}
	for _, u := range used {
		out = append(out, ps[u])
		taken[u] = true
	}
	rest := make([]int, 0, len(ps))
	for i := range ps {
		if !taken[i] {
			rest = append(rest, i)
		}
	}
	sort.SliceStable(rest, func(a, b int) bool { return ps[rest[a]].score > ps[rest[b]].score })
	for _, i := range rest {
		out = append(out, ps[i])
	}
	return out
}
