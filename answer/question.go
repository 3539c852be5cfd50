package answer

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/footnote-bot/footnote/retrieval"
	"github.com/footnote-bot/footnote/retrieval/wordlist"
)

// A question is analysed into what it is about (its content terms, with
// spelling corrections and derivational variants from the index's own
// vocabulary) and what kind of answer it wants (a person, a time, a
// number, a place, an instruction, a setting).

// answerType is the kind of answer a question asks for.
type answerType int

const (
	anyType     answerType = iota
	personType             // who …
	timeType               // when …, what year …
	numberType             // how many …, how long …
	placeType              // where …
	howToType              // how do I …, what command …
	settingType            // which flag / option / setting …
)

func (t answerType) String() string {
	return [...]string{"any", "person", "time", "number", "place", "how-to", "setting"}[t]
}

// answerTypes map question patterns (on the folded, abbreviation-expanded
// question) to answer types, first match wins. The words a pattern uses
// say what kind of answer is wanted, not what it is about, so they are
// dropped from the content terms.
var answerTypes = []struct {
	re   *lazyRegexp
	typ  answerType
	drop []string
}{
	{lazy(`\b(how (many|much)|what (number|percentage|proportion|amount|fraction)|how (long|old|big|large|far|often|fast|frequently))\b`), numberType,
		[]string{"many", "much", "number", "percentage", "proportion", "amount", "fraction", "long", "old", "big", "large", "far", "often", "fast", "frequently"}},
	{lazy(`\b(when|what (year|date|time|century|decade|month|day|version)|which (year|date|century|decade|month|day|version)|since when)\b`), timeType,
		[]string{"year", "date", "century", "decade", "month", "day"}},
	{lazy(`^(who|whom|whose)\b|\b(which|what) (person|people|man|woman|king|leader|group)\b|\bwho (is|was|were|are|led|leads|founded|wrote|created|invented)\b`), personType, nil},
	{lazy(`\bwhere\b|\b(what|which) (city|country|place|region|location|town|state|area)\b`), placeType,
		[]string{"city", "country", "place", "region", "location", "town", "state", "area"}},
	{lazy(`\b(which|what)('s| is| are)? (the )?(flag|flags|option|options|setting|settings|parameter|parameters|config key|configuration key|environment variable|env var|field|label|metric name|intent|intents|permission|permissions|scope|scopes|role|roles|port|endpoint|header)\b`), settingType, nil},
	{lazy(`\bhow (do|can|should|would|could|to|does one|is one supposed to)\b|\b(what|which)('s| is)? (the )?(command|way|steps?)\b|\bis (it|there) (possible|a way)\b|\bway to\b|\bsteps? to\b`), howToType, nil},
}

// chatWords are the abbreviations and spellings of chat ("u", "pls",
// "wat") and the words they stand for.
var chatWords = map[string]string{
	"u": "you", "ur": "your", "r": "are", "y": "why", "pls": "please", "plz": "please", "thx": "thanks",
	"wat": "what", "wut": "what", "wht": "what", "whats": "what is", "hw": "how", "abt": "about",
	"b4": "before", "bc": "because", "cuz": "because", "coz": "because", "w/": "with", "w/o": "without",
	"idk": "", "rn": "now", "atm": "now", "btw": "", "imo": "", "tbh": "", "ppl": "people",
	"dont": "do not", "doesnt": "does not", "cant": "cannot", "wont": "will not", "isnt": "is not",
	"im": "i am", "ive": "i have", "whos": "who is", "wheres": "where is", "hows": "how is",
	"shld": "should", "cn": "can", "smth": "something", "sth": "something", "ya": "you", "yr": "your",
	"tho": "though", "thru": "through", "ofc": "of course", "wtf": "", "omg": "", "ty": "", "np": "",
	"nvm": "", "fyi": "", "afaik": "", "iirc": "", "imho": "", "lmk": "",
}

// functionWords are the words a misspelt function word is restored to
// ("wich" → "which"), so it is dropped rather than "corrected" into a
// content word.
var functionWords = []string{"the", "and", "for", "you", "are", "how", "why", "who", "not", "can", "its", "which", "what", "where", "when", "whom", "whose", "there", "their", "they", "with",
	"without", "this", "that", "these", "those", "from", "into", "have", "about", "after", "before", "because",
	"between", "does", "should", "would", "could", "much", "many", "other", "some", "your", "been", "were",
	"through", "during", "while", "then", "than", "only", "very", "same", "both", "each", "also"}

// chatToken finds the words chatWords may replace.
var chatToken = lazy(`(?i)\b(w/o|w/|[a-z0-9]+)\b`)

// normalizeWords rewrites the words of a question the index does not know
// that are chat abbreviations ("u", "wat") or misspelt function words
// ("wich") into the words they stand for. A word the index has is left
// alone: in some articles "env" or "info" is a term.
func normalizeWords(ix Corpus, q string) string {
	return chatToken.ReplaceAllStringFunc(q, func(w string) string {
		lw := strings.ToLower(w)
		if ix != nil {
			if _, known := ix.IDF(retrieval.Stem(lw)); known {
				return w
			}
		}
		if r, ok := chatWords[lw]; ok {
			return r
		}
		if len(lw) >= 3 && !retrieval.IsStopWord(lw) && !questionWords[lw] && !wordlist.Has(lw) {
			for _, f := range functionWords {
				if retrieval.EditDistance(lw, f, 1) <= 1 {
					return f
				}
			}
		}
		return w
	})
}

// questionWords are dropped from questions before retrieval: they say what
// kind of answer is wanted, not what it is about.
var questionWords = map[string]bool{
	"what": true, "which": true, "who": true, "whom": true, "whose": true, "when": true, "where": true,
	"why": true, "how": true, "do": true, "does": true, "did": true, "can": true, "could": true,
	"would": true, "should": true, "shall": true, "may": true, "might": true, "must": true, "tell": true,
	"me": true, "i": true, "my": true, "we": true, "our": true, "you": true, "your": true, "about": true,
	"say": true, "says": true, "said": true, "has": true, "have": true,
	"had": true, "been": true, "being": true, "were": true, "am": true, "any": true, "some": true,
	"please": true, "know": true, "explain": true, "describe": true, "mean": true, "means": true,
	// Framing verbs: "Which companies are described as …", "What is mentioned about …".
	"described": true, "mentioned": true, "discuss": true, "discussed": true,
	"stated": true, "noted": true, "listed": true,
}

// chatFillers are words of chat that carry no topic: "is there something
// like …", "does it actually …".
var chatFillers = map[string]bool{
	"something": true, "anything": true, "stuff": true, "thing": true, "things": true, "actually": true,
	"really": true, "basically": true, "like": true, "ok": true, "okay": true, "hey": true, "hi": true,
	"hello": true, "thanks": true, "thank": true, "guys": true, "kinda": true, "sorta": true, "gonna": true,
	"wanna": true, "lol": true, "etc": true, "possible": true, "way": true, "want": true, "need": true,
	"get": true, "anyone": true, "someone": true, "somebody": true, "anybody": true, "wondering": true,
}

// theArticle is how questions refer to the text itself ("what does the
// article say"); it is not what they are about.
var theArticle = lazy(`(?i)\b(the|this|that)\s+(article|text|guide|piece|post|document|page)\b`)

// Techniques name the steps of answering that Options.Without (footnote
// qa --without) switches off, to measure what each adds.
const (
	TechChat     = "chat"     // chat abbreviations, fillers, misspelt function words
	TechSpelling = "spelling" // corrections and British/American spellings
	TechVariants = "variants" // derivational variants
	TechTypes    = "types"    // answer types and definition questions
	TechRescore  = "rescore"  // rescoring the pool (off: BM25 order)
	TechDecision = "decision" // the fitted decision (off: abstain below a third of the IDF mass)
)

// Techniques lists them in the order they were built.
var Techniques = []string{TechChat, TechSpelling, TechVariants, TechTypes, TechRescore, TechDecision}

// techniques is a set of switched-off techniques.
type techniques map[string]bool

// questionTerm is a content term of a question.
type questionTerm struct {
	word  string // the folded word as asked
	term  string // the index term it matches (its stem, or a correction)
	fixed bool   // term is a spelling correction
	// known: the index has term.
	known bool
	// name: the word is capitalised inside the question or is not an
	// English word (a name, a product, jargon), so the articles' lacking
	// it says more than their lacking a common word.
	name bool
	// spellings are index terms of the word's other spellings (matched as
	// the word itself).
	spellings []string
	// derived are index terms derived from term (matched at lower weight).
	derived []string
}

// query is an analysed question.
type query struct {
	typ   answerType
	terms []questionTerm
	// subject is what a definition question ("What is X?") asks about,
	// folded; empty otherwise. subjectTerms are its terms, as matched.
	subject      string
	subjectTerms []string
}

// Weights of the terms a question adds to its own: a spelling correction
// counts nearly as the word, a derivational variant half.
var (
	correctionWeight = 0.8
	derivedWeight    = 0.5
)

// analyse reads a question against an index.
func analyse(ix Corpus, question string, off techniques) query {
	asked := strings.ReplaceAll(question, "’", "'")
	if !off[TechChat] {
		asked = normalizeWords(ix, asked)
	}
	q := strings.ToLower(asked)
	var out query
	drop := map[string]bool{}
	for _, at := range answerTypes {
		if off[TechTypes] {
			break
		}
		if at.re.MatchString(q) {
			out.typ = at.typ
			for _, w := range at.drop {
				drop[w] = true
			}
			break
		}
	}
	subjectAt := -1
	if m := definitionRe.FindStringSubmatchIndex(q); m != nil && !off[TechTypes] {
		out.subject = strings.TrimSpace(q[m[8]:m[9]])
		subjectAt = m[8]
	}
	seen := map[string]bool{}
	// References to the text itself are blanked, keeping offsets.
	asked = theArticle.ReplaceAllStringFunc(asked, func(m string) string { return strings.Repeat(" ", len(m)) })
	for i, t := range retrieval.Tokenize(asked) {
		w := t.Text
		if questionWords[w] || chatFillers[w] && !off[TechChat] || drop[w] || retrieval.IsStopWord(w) {
			continue
		}
		qt := questionTerm{word: w, term: retrieval.Stem(w)}
		first, _ := utf8.DecodeRuneInString(asked[t.Start:])
		qt.name = i > 0 && unicode.IsUpper(first) || !wordlist.Has(w)
		if seen[qt.term] {
			continue
		}
		seen[qt.term] = true
		if ix != nil {
			_, qt.known = ix.IDF(qt.term)
			if !qt.known && !off[TechSpelling] {
				if c, ok := ix.Correct(w); ok {
					qt.term, qt.fixed, qt.known = c.Term, true, true
				}
			}
			if qt.known && !qt.fixed && !off[TechSpelling] {
				qt.spellings = ix.Spellings(w)
			}
			if !off[TechVariants] {
				qt.derived = ix.Derived(qt.term)
			}
		}
		out.terms = append(out.terms, qt)
		if subjectAt >= 0 && t.Start >= subjectAt {
			out.subjectTerms = append(out.subjectTerms, qt.term)
		}
	}
	return out
}

// retrievalTerms are the weighted index terms a query searches with.
func (q query) retrievalTerms() []retrieval.QueryTerm {
	var out []retrieval.QueryTerm
	at := map[string]int{}
	put := func(term string, w float64) {
		if i, ok := at[term]; ok {
			out[i].Weight = max(out[i].Weight, w)
			return
		}
		at[term] = len(out)
		out = append(out, retrieval.QueryTerm{Term: term, Weight: w})
	}
	for _, t := range q.terms {
		w := 1.0
		if t.fixed {
			w = correctionWeight
		}
		put(t.term, w)
	}
	for _, t := range q.terms {
		for _, sp := range t.spellings {
			put(sp, 1)
		}
	}
	for _, t := range q.terms {
		for _, d := range t.derived {
			put(d, derivedWeight)
		}
	}
	return out
}

// describe lists the terms for a debug log: word→term, "~" for a
// correction, "?" for a word the index lacks, "+variants".
func (q query) describe() string {
	var sb strings.Builder
	for i, t := range q.terms {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(t.word)
		switch {
		case t.fixed:
			sb.WriteString("~" + t.term)
		case !t.known:
			sb.WriteString("?")
		case t.term != t.word:
			sb.WriteString("→" + t.term)
		}
		if len(t.spellings) > 0 {
			sb.WriteString("=" + strings.Join(t.spellings, "="))
		}
		if len(t.derived) > 0 {
			sb.WriteString("+" + strings.Join(t.derived, "+"))
		}
	}
	return sb.String()
}
