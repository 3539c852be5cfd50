// Package synth generates the deterministic synthetic corpus and queries
// the benchmarks use (a Zipf vocabulary of pseudo-words), so figures from
// the bench harness and the load benchmark describe the same data.
package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/footnote-bot/footnote/corpus"
)

// Corpus makes n passages (10 a document) over a Zipf vocabulary
// of pseudo-words, and queries of 2-5 mid-frequency words. Deterministic.
func Corpus(n, nq int) ([]corpus.Document, []string) {
	r := rand.New(rand.NewPCG(42, 1))
	vocab := make([]string, 50000)
	syll := []string{"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "de", "fa", "gu", "hi", "jo", "pe", "zu", "ba"}
	seen := map[string]bool{}
	for i := range vocab {
		for {
			var sb strings.Builder
			for s := 0; s < 2+r.IntN(3); s++ {
				sb.WriteString(syll[r.IntN(len(syll))])
			}
			w := sb.String()
			if !seen[w] {
				seen[w] = true
				vocab[i] = w
				break
			}
		}
	}
	z := rand.NewZipf(r, 1.07, 2, uint64(len(vocab)-1))
	docs := make([]corpus.Document, 0, n/10+1)
	var sb strings.Builder
	for i := 0; i < n; i += 10 {
		id := fmt.Sprintf("s%d", i/10)
		d := corpus.Document{ID: id, Title: vocab[z.Uint64()] + " " + vocab[z.Uint64()]}
		for j := 0; j < 10 && i+j < n; j++ {
			sb.Reset()
			words := 30 + r.IntN(60)
			for w := 0; w < words; w++ {
				if w > 0 {
					sb.WriteByte(' ')
				}
				sb.WriteString(vocab[z.Uint64()])
				if w%12 == 11 {
					sb.WriteByte('.')
				}
			}
			sb.WriteByte('.')
			d.Passages = append(d.Passages, corpus.Passage{ID: fmt.Sprintf("%s#%d", id, j+1), DocID: id, Title: d.Title, Paragraph: j + 1, Text: sb.String()})
		}
		docs = append(docs, d)
	}
	qs := make([]string, nq)
	for i := range qs {
		var words []string
		for k := 0; k < 2+r.IntN(4); k++ {
			// Mid-frequency words: skip the 100 most common (stop-word-like).
			words = append(words, vocab[100+r.IntN(5000)])
		}
		qs[i] = strings.Join(words, " ")
	}
	return docs, qs
}
