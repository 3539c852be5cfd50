package retrieval

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{"The cats’ café", "don't", "\xff\xfe", "a\u200bb", "日本語", "’s'", "'''", "o.capital"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range Tokenize(s) {
			if tok.Start < 0 || tok.End > len(s) || tok.Start >= tok.End {
				t.Fatalf("bad offsets %+v for %q", tok, s)
			}
			if tok.Text == "" || strings.ContainsAny(tok.Text, " '’") {
				t.Fatalf("bad token %q", tok.Text)
			}
		}
		for _, term := range Analyze(s) {
			if term == "" || !utf8.ValidString(term) && utf8.ValidString(s) {
				t.Fatalf("bad term %q from %q", term, s)
			}
		}
		if got, want := Snippet(s, Analyze(s), 40, [2]string{"**", "**"}), snippetQuadratic(s, Analyze(s), 40, [2]string{"**", "**"}); got != want {
			t.Fatalf("Snippet(%q) = %q, the quadratic reference gives %q", s, got, want)
		}
	})
}
