// Package cited holds what footnote's answer service takes and gives as
// plain values: a question (Request), an Answer with its numbered
// Citations, the articles (Article) and what /lookup, /cite and
// autocomplete ask for. It imports nothing of footnote's, so a consumer
// that only shows answers (the Discord bot) can use them without depending
// on retrieval, storage or the article library. Package answer re-exports
// these types under the same names.
package cited

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Request is one question.
type Request struct {
	Question string
	// Context is the earlier question of a follow-up (reply chain or thread).
	Context string
	// Docs limits retrieval to these document IDs.
	Docs []string
	// OnDelta receives the LLM answer as it streams (LLM backend only).
	OnDelta func(soFar string)
	// Guild and User say who asked (for the LLM budget); empty from the
	// command line.
	Guild, User string
}

// Citation is one numbered source of an answer, or one passage found by
// a lookup.
type Citation struct {
	N         int     `json:"n,omitempty"` // the [n] marker; none for a related passage
	PassageID string  `json:"passage_id"`
	DocID     string  `json:"doc_id"`
	Title     string  `json:"title"`
	Section   string  `json:"section"`
	Paragraph int     `json:"paragraph"`
	URL       string  `json:"url"`
	Text      string  `json:"text"`
	Score     float64 `json:"score"`
	// Matched are the analysed query terms the passage holds (for
	// highlighting).
	Matched []string `json:"-"`
	// Snippet is the passage cut around its matches as a Highlight asked
	// (lookups, Find source, autocomplete); empty otherwise.
	Snippet string `json:"-"`
	// Updated is when the passage's article last changed, set only when
	// that was recently (a kept documentation site's page, see package
	// sites): the source line says so.
	Updated time.Time `json:"updated,omitzero"`
}

// Answer is footnote's reply to a question.
type Answer struct {
	Question  string `json:"question"`
	Text      string `json:"answer"`
	Abstained bool   `json:"abstained"`
	Backend   string `json:"backend"` // "template" or "llm"
	// Citations are the passages the answer cites, in the order of its
	// [n] markers (Citation.N is the marker's number).
	Citations []Citation `json:"citations"`
	// Related are passages close to the question that the answer does not
	// cite: offered apart ("See also"), unnumbered (N is 0), never as
	// evidence.
	Related []Citation `json:"see_also"`
	// Notice explains a fallback (e.g. the LLM was down).
	Notice string `json:"notice,omitempty"`
	// Dropped counts LLM citations removed because they named no passage
	// given to the model.
	Dropped int `json:"dropped_citations,omitempty"`
	// Confidence is the answer decision's estimate, in [0, 1], that the
	// articles answer the question (see answer.Decide); below the
	// threshold footnote abstains.
	Confidence float64 `json:"confidence"`
	// Signals are what the decision was made from (for footnote qa and
	// calibration).
	Signals Signals `json:"-"`
}

// Signals are what the answer decision reads: how well the best passage
// and its best unit cover the question, whether the question's most
// specific words exist in the articles at all, how tightly the matched
// words sit, whether the wanted kind of answer is there, and how clearly
// the best passage leads.
type Signals struct {
	// Cover is the share of the question's IDF mass the best passage
	// (text, heading and title) matches.
	Cover float64 `json:"cover"`
	// UnitCover is the same for the best passage's best unit.
	UnitCover float64 `json:"unit_cover"`
	// Missing is the share of the question's IDF mass carried by words the
	// articles do not have in any form (no spelling correction, no
	// derivational variant) that are names or not English words
	// ("Australia", "LogQL"); MissingWord the share carried by missing
	// English words ("whole", "carpet").
	Missing     float64 `json:"missing"`
	MissingWord float64 `json:"missing_word"`
	// Specific is how the question's most specific word (highest IDF) is
	// matched in the best passage: 1, a correction's or variant's weight,
	// or 0.
	Specific float64 `json:"specific"`
	// Prox is the best unit's proximity (see answer's proximity).
	Prox float64 `json:"prox"`
	// Typed is 1 when the question asks for a kind of answer and the best
	// unit holds one, -1 when it asks and the unit does not, 0 when the
	// question asks for no particular kind.
	Typed float64 `json:"typed"`
	// Margin is how far the best passage's question score leads the
	// second's, as a share of the best.
	Margin float64 `json:"margin"`
	// Ident is 0 when the question names no identifier (a config key, a
	// flag, a file name), else how many of them the best passage holds
	// verbatim, from -1 (none) to 1 (all).
	Ident float64 `json:"ident"`
	// Focus is how much more the best passages agree on one article than
	// the pool does: the share of the next two best passages from the
	// best one's article, less that share over the rest of the pool. A
	// question the articles answer tends to find its answer's article
	// again and again at the top; one they do not answer collects
	// passages from here and there (a query-performance signal, as in
	// the clarity and coherence predictors).
	Focus float64 `json:"focus"`
	// Terms is the number of the question's content terms.
	Terms int `json:"terms"`
	// Rest is how the best unit covers the question's IDF mass without
	// its most specific word (1 for a one-word question: nothing else to
	// cover).
	Rest float64 `json:"rest"`
	// Unmatched is the share of the question's content terms (counted,
	// not weighted) the best unit does not match.
	Unmatched float64 `json:"unmatched"`
}

// NumSignals is the number of signals the decision reads (Vector).
const NumSignals = 12

// Vector lays the signals out in the order of answer.SignalNames.
func (sig Signals) Vector() [NumSignals]float64 {
	return [NumSignals]float64{sig.Cover, sig.UnitCover, sig.Missing, sig.MissingWord, sig.Specific, sig.Prox, sig.Typed, sig.Margin, sig.Ident, sig.Focus, sig.Rest, sig.Unmatched}
}

// Memory is an answer remembered for its buttons and follow-ups: the
// question as asked, and the answer.
type Memory struct {
	Question string `json:"question"`
	Answer   Answer `json:"answer"`
}

// Article describes one article answers come from.
type Article struct {
	ID     string
	Title  string
	URL    string
	Author string
	// Passages is how many passages it has.
	Passages int
}

// Highlight says how to cut a passage's snippet: at most Runes runes of
// its text around the matched words, each match between Mark[0] and
// Mark[1]. Clean, when set, prepares the text before it is cut (the bot
// reduces Markdown links to their words there).
type Highlight struct {
	Runes int
	Mark  [2]string
	Clean func(string) string
}

// Lookup asks for the passages best matching a query.
type Lookup struct {
	Query string
	// Article, when set, keeps to the article with this ID.
	Article string
	// N passages at most.
	N         int
	Highlight Highlight
}

// Suggest asks for passages to offer as the user types a passage (autocomplete).
type Suggest struct {
	Typed string
	// N passages at most.
	N int
	// MaxIDRunes, when set, skips passages with longer IDs (a Discord
	// choice value holds 100).
	MaxIDRunes int
	// Runes bounds the snippet of a passage found by searching the typed
	// words; other passages' snippets are their text.
	Runes int
}

// Backends.
const (
	BackendTemplate = "template"
	BackendLLM      = "llm"
)

// Limits on questions.
const (
	MaxQuestionRunes = 6000
)

// Errors for questions that cannot be asked, and for unknown articles.
var (
	ErrEmptyQuestion   = errors.New("the question is empty")
	ErrQuestionTooLong = fmt.Errorf("the question is longer than %d characters", MaxQuestionRunes)
	ErrUnknownArticle  = errors.New("no article with that ID")
)

// zeroWidth are invisible characters that would split or hide words.
var zeroWidth = strings.NewReplacer("\u200b", "", "\u200c", "", "\u200d", "", "\u2060", "", "\ufeff", "", "\u00ad", "")

// CleanQuestion makes a question safe to process: invalid UTF-8 replaced,
// zero-width characters and control characters removed, white space
// collapsed. It fails on an empty or over-long question.
func CleanQuestion(q string) (string, error) {
	q = strings.ToValidUTF8(q, "\uFFFD")
	q = zeroWidth.Replace(q)
	q = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return -1
		}
		return r
	}, q)
	q = strings.Join(strings.Fields(q), " ")
	if q == "" {
		return "", ErrEmptyQuestion
	}
	if utf8.RuneCountInString(q) > MaxQuestionRunes {
		return "", ErrQuestionTooLong
	}
	return q, nil
}
