package retrieval

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// AnalyzerVersion changes whenever analysis changes, so an index built by an
// older analyzer is refused as stale rather than silently mismatched.
const AnalyzerVersion = "fold-snowballstop-porter2-v2"

// Token is a word of the original text with its byte offsets.
type Token struct {
	Text       string // folded (lower case, no diacritics, no apostrophes)
	Start, End int    // byte offsets into the original text
}

// isApostrophe covers the straight, curly and modifier apostrophes.
func isApostrophe(r rune) bool {
	return r == '\'' || r == '’' || r == 'ʼ' || r == '‘' || r == '`'
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf { // the same answer as below, without the tables
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// runeAt decodes the rune at text[i:], ASCII without a call.
func runeAt(text string, i int) (rune, int) {
	if c := text[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(text[i:])
}

// Tokenize splits text into words: runs of letters and digits, joined across
// an apostrophe between two letters ("don’t", "Altman's"). Each word is
// folded: lower-cased, diacritics removed, a possessive "'s" dropped and
// remaining apostrophes removed.
func Tokenize(text string) []Token {
	var out []Token
	words(text, func(w string, start, end int) { out = append(out, Token{Text: w, Start: start, End: end}) })
	return out
}

// words calls fn with each word of text, folded, and its byte offsets: the
// loop behind Tokenize, without building the slice.
func words(text string, fn func(w string, start, end int)) {
	i := 0
	for i < len(text) {
		r, size := runeAt(text, i)
		if !isWordRune(r) {
			i += size
			continue
		}
		start := i
		i += size
		for i < len(text) {
			r, size = runeAt(text, i)
			if isWordRune(r) {
				i += size
				continue
			}
			if isApostrophe(r) && i+size < len(text) {
				nr, _ := runeAt(text, i+size)
				if unicode.IsLetter(nr) {
					i += size
					continue
				}
			}
			break
		}
		if f := fold(text[start:i]); f != "" {
			fn(f, start, i)
		}
	}
}

var diacritics = runes.Remove(runes.In(unicode.Mn))

// fold lower-cases a word, strips diacritics and apostrophes, and drops a
// possessive ending.
func fold(w string) string {
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		t := transform.Chain(norm.NFD, diacritics, norm.NFC)
		if s, _, err := transform.String(t, w); err == nil {
			w = s
		}
		w = strings.Map(func(r rune) rune {
			if isApostrophe(r) {
				return '\''
			}
			return unicode.ToLower(r)
		}, w)
	} else {
		w = strings.ToLower(w)
	}
	w = strings.TrimSuffix(w, "'s")
	if strings.IndexByte(w, '\'') >= 0 {
		w = strings.ReplaceAll(w, "'", "")
	}
	return w
}

// stopWords is the Snowball project's English stop list (from the stemmer
// library, english.IsStopWord): 127 words, a superset of Lucene's 33. It
// scored higher than Lucene's list on both evaluation collections (README).
// Question words are on it; the answer layer drops them anyway.
func stopWord(w string) bool { return english.IsStopWord(w) }

// IsStopWord reports whether a folded word is dropped from the index.
func IsStopWord(w string) bool { return stopWord(w) }

// Stem reduces a folded word to its Snowball English (Porter2) stem.
func Stem(w string) string { return english.Stem(w, true) }

// Analyze turns text into index terms: tokenize and fold, drop stop words,
// stem.
func Analyze(text string) []string {
	toks := Tokenize(text)
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		if stopWord(t.Text) {
			continue
		}
		out = append(out, Stem(t.Text))
	}
	return out
}

// stemmed is a word's stem as analysis hands it to indexing. term is the
// index's number for the stem plus one, set by the indexing goroutine alone
// the first time it meets this entry (0 = not yet), so each word costs a
// term lookup once per analysis goroutine rather than once per occurrence.
type stemmed struct {
	stem string
	term uint32
}

// stemCache memoises stems while building an index (one per analysis
// goroutine).
type stemCache map[string]*stemmed

func (c stemCache) analyze(text string, out []*stemmed) []*stemmed {
	words(text, func(w string, _, _ int) {
		if stopWord(w) {
			return
		}
		s, ok := c[w]
		if !ok {
			s = &stemmed{stem: Stem(w)}
			if len(c) < 1<<20 {
				c[w] = s
			}
		}
		out = append(out, s)
	})
	return out
}
