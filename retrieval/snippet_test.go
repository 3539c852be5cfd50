package retrieval

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// snippetQuadratic is Snippet as it was before it was made linear: for
// each match, a count of the matches after it within max runes. The linear
// Snippet must choose the same window and mark the same words.
func snippetQuadratic(text string, matched []string, max int, mark [2]string) string {
	want := map[string]bool{}
	for _, m := range matched {
		want[m] = true
	}
	var hits []Token
	for _, t := range Tokenize(text) {
		if !stopWord(t.Text) && want[Stem(t.Text)] {
			hits = append(hits, t)
		}
	}
	start, end := 0, len(text)
	if utf8.RuneCountInString(text) > max {
		bestCount, bestStart := -1, 0
		for _, h := range hits {
			limit := byteOffsetAfterRunes(text, h.Start, max)
			n := 0
			for _, o := range hits {
				if o.Start >= h.Start && o.End <= limit {
					n++
				}
			}
			if n > bestCount {
				bestCount, bestStart = n, h.Start
			}
		}
		start = backUp(text, bestStart, max/4)
		end = byteOffsetAfterRunes(text, start, max)
		if end < len(text) {
			if sp := strings.LastIndexAny(text[start:end], " \n\t"); sp > 0 {
				end = start + sp
			}
		}
	}
	var sb strings.Builder
	if start > 0 {
		sb.WriteString("…")
	}
	pos := start
	for _, h := range hits {
		if h.Start < start || h.End > end {
			continue
		}
		sb.WriteString(text[pos:h.Start])
		sb.WriteString(mark[0])
		sb.WriteString(text[h.Start:h.End])
		sb.WriteString(mark[1])
		pos = h.End
	}
	sb.WriteString(text[pos:end])
	if end < len(text) {
		sb.WriteString("…")
	}
	return strings.TrimSpace(sb.String())
}

func TestSnippetMatchesQuadraticReference(t *testing.T) {
	vocab := []string{"widgets", "widget's", "cleaning", "clean", "the", "a", "dry", "cloth", "don't", "café", "Cafe", "日本語",
		"naïve", "o'clock", "x", "\xff", "polish.", "Spring!", "gear?", "\n", "motor,", "’tis", "beeswax"}
	seps := []string{" ", " ", " ", "  ", "\n", "\t", "—", "'", ". "}
	queries := []string{"widget clean", "cafe", "dry cloth gear", "日本語 naive", "tis clock", "spring polish motor beeswax", "absent"}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		var sb strings.Builder
		for n := r.IntN(120); n > 0; n-- {
			sb.WriteString(vocab[r.IntN(len(vocab))])
			sb.WriteString(seps[r.IntN(len(seps))])
		}
		text := sb.String()
		q := Analyze(queries[r.IntN(len(queries))])
		max := 5 + r.IntN(120)
		mark := [2]string{"**", "**"}
		if got, want := Snippet(text, q, max, mark), snippetQuadratic(text, q, max, mark); got != want {
			t.Fatalf("Snippet(%q, %q, %d)\n got %q\nwant %q", text, q, max, got, want)
		}
	}
}

// hugeParagraph is one paragraph of n words, every one of them a query
// word: the input that took 15 s when Snippet was quadratic.
func hugeParagraph(n int) string {
	words := []string{"widgets", "need", "care", "regular", "cleaning", "dry", "cloth", "polish", "spring", "beeswax", "gear", "motor"}
	var sb strings.Builder
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < n; i++ {
		sb.WriteString(words[r.IntN(len(words))])
		sb.WriteByte(' ')
	}
	return sb.String()
}

func TestSnippetHugeParagraphIsBounded(t *testing.T) {
	text := hugeParagraph(160000) + "The needle: beeswax polish widgets."
	q := Analyze("widgets need care regular cleaning dry cloth polish spring beeswax gear motor")
	got := Snippet(text, q, 240, [2]string{"**", "**"})
	plain := strings.ReplaceAll(got, "**", "")
	if n := utf8.RuneCountInString(plain); n > 240+2 {
		t.Errorf("snippet has %d runes of text, want at most 240 and two ellipses", n)
	}
	if !strings.HasPrefix(got, "**") && !strings.HasPrefix(got, "…") {
		t.Errorf("snippet = %q, want it to start at a match or with an ellipsis", got)
	}
	if !strings.HasSuffix(got, "…") {
		t.Errorf("snippet = %q, want an ellipsis where it is cut", got)
	}
	// Every word in the window matches the query, so every word is marked.
	for _, w := range strings.Fields(strings.Trim(got, "…")) {
		if !strings.HasPrefix(w, "**") || !strings.HasSuffix(w, "**") {
			t.Fatalf("word %q of %q not marked", w, got)
		}
	}
	if !strings.Contains(text, strings.Trim(plain, "…")) {
		t.Errorf("snippet text is not a part of the passage: %q", plain)
	}
}

func BenchmarkSnippetHugeParagraph(b *testing.B) {
	text := hugeParagraph(160000)
	q := Analyze("widgets need care regular cleaning dry cloth polish spring beeswax gear motor")
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Snippet(text, q, 240, [2]string{"**", "**"})
	}
}

// TestStemKeepsFirstLetter: snippetMatcher skips stemming a word whose
// first letter no wanted stem has, which is right only if Porter2 never
// changes a folded word's first letter. Checked over the 75,000 words of
// the embedded word list, and the words' y-initial and short forms.
func TestStemKeepsFirstLetter(t *testing.T) {
	data, err := os.ReadFile("wordlist/words.txt")
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Fields(string(data))
	words = append(words, "y", "yy", "yes", "yelling", "ying", "aing", "eed", "ies", "sses", "skies", "dying", "ugly")
	if len(words) < 70_000 {
		t.Fatalf("only %d words read", len(words))
	}
	for _, w := range words {
		for _, f := range Tokenize(w) {
			if s := Stem(f.Text); s == "" || s[0] != f.Text[0] {
				t.Errorf("Stem(%q) = %q: the first letter changed", f.Text, s)
			}
		}
	}
}
