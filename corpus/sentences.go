package corpus

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// abbreviations end with a period that does not end a sentence.
var abbreviations = map[string]bool{
	"e.g": true, "i.e": true, "c.f": true, "cf": true, "vs": true, "etc": true, "mr": true, "mrs": true,
	"ms": true, "dr": true, "prof": true, "st": true, "jr": true, "sr": true, "inc": true, "ltd": true,
	"co": true, "corp": true, "no": true, "fig": true, "al": true, "approx": true, "u.s": true, "u.k": true,
}

// SplitSentences splits text into sentences, keeping each sentence's text
// exactly as written (trimmed of surrounding space). A sentence ends at '.',
// '!', '?' or '…' (plus closing quotes or brackets) followed by space and
// then an upper-case letter, digit, quote or bracket; abbreviations such as
// "e.g." and initials such as "A.I." do not end one.
func SplitSentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r != '.' && r != '!' && r != '?' && r != '…' {
			i += size
			continue
		}
		end := i + size
		for end < len(text) {
			c, cs := utf8.DecodeRuneInString(text[end:])
			if c == '.' || c == '!' || c == '?' || c == '"' || c == '\'' || c == '”' || c == '’' || c == ')' || c == ']' || c == '…' {
				end += cs
				continue
			}
			break
		}
		next := end
		for next < len(text) {
			c, cs := utf8.DecodeRuneInString(text[next:])
			if !unicode.IsSpace(c) {
				break
			}
			next += cs
		}
		if next == end || next >= len(text) {
			i = end
			continue
		}
		c, _ := utf8.DecodeRuneInString(text[next:])
		startsNew := unicode.IsUpper(c) || unicode.IsDigit(c) || strings.ContainsRune("\"'“‘([", c)
		if !startsNew || (r == '.' && isAbbreviation(text[start:i])) {
			i = end
			continue
		}
		if s := strings.TrimSpace(text[start:end]); s != "" {
			out = append(out, s)
		}
		start = next
		i = next
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// isAbbreviation reports whether the word just before a period is an
// abbreviation or an initial.
func isAbbreviation(before string) bool {
	j := len(before)
	for j > 0 {
		r, size := utf8.DecodeLastRuneInString(before[:j])
		if unicode.IsSpace(r) || r == '(' || r == '"' || r == '“' {
			break
		}
		j -= size
	}
	word := strings.ToLower(before[j:])
	if abbreviations[word] {
		return true
	}
	// Initials: "A", "A.I", "J.R.R".
	parts := strings.Split(word, ".")
	for _, p := range parts {
		if utf8.RuneCountInString(p) != 1 {
			return false
		}
	}
	return word != ""
}
