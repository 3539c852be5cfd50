// Package wordlist knows which words are English words: SCOWL's American
// and British lists as Debian packages them (wamerican, wbritish), folded
// to lower-case ASCII, 75,000 words. Spelling correction asks it whether a
// word the articles lack is a real word (left alone: the articles do not
// use it) or a typo (corrected against the articles' vocabulary).
//
// The list is embedded as it is, sorted, one word a line, and searched
// where it lies in the binary: nothing is decompressed, split or
// allocated, so a process that asks once pays a few page faults, not
// the 3–4 ms it took to unzip and split the list (a fifth of a one-shot
// `footnote ask`).
//
// scripts/wordlist.sh rebuilds words.txt; COPYRIGHT.SCOWL is the list's
// licence.
package wordlist

import (
	_ "embed"
	"strings"
)

//go:embed words.txt
var list string // sorted (bytewise), each word followed by "\n"

// Has reports whether a folded (lower-case) word is an English word.
func Has(word string) bool {
	if word == "" || strings.Contains(word, "\n") {
		return false
	}
	// Binary search over byte offsets: each probe backs up to the start
	// of the line it lands in.
	lo, hi := 0, len(list) // the answer's line starts in [lo, hi)
	for lo < hi {
		mid := lo + (hi-lo)/2
		start := strings.LastIndexByte(list[lo:mid], '\n') + 1 + lo
		end := start + strings.IndexByte(list[start:], '\n')
		switch w := list[start:end]; {
		case w == word:
			return true
		case w < word:
			lo = end + 1
		default:
			hi = start
		}
	}
	return false
}

// words returns the list split, for tests.
func words() []string { return strings.Split(strings.TrimSuffix(list, "\n"), "\n") }
