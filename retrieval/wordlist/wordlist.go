// Package wordlist knows which words are English words: SCOWL's American
// and British lists as Debian packages them (wamerican, wbritish), folded
// to lower-case ASCII, 75,000 words. Spelling correction asks it whether a
// word the articles lack is a real word (left alone: the articles do not
// use it) or a typo (corrected against the articles' vocabulary).
//
// scripts/wordlist.sh rebuilds words.txt.gz; COPYRIGHT.SCOWL is the
// list's licence.
package wordlist

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"sort"
	"strings"
	"sync"
)

//go:embed words.txt.gz
var packed []byte

// words are the sorted words, decompressed on first use (about 700 KB).
var words = sync.OnceValue(func() []string {
	zr, err := gzip.NewReader(bytes.NewReader(packed))
	if err != nil {
		panic("wordlist: " + err.Error()) // the embedded file is built by scripts/wordlist.sh
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		panic("wordlist: " + err.Error())
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
})

// Has reports whether a folded (lower-case) word is an English word.
func Has(word string) bool {
	w := words()
	i := sort.SearchStrings(w, word)
	return i < len(w) && w[i] == word
}
