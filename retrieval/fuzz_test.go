package retrieval

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/footnote-bot/footnote/corpus"
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

// FuzzDecode reads index files with a good header and checksum around a
// fuzzed payload (seeded with real payloads, so that mutations reach the
// table checks): Decode either refuses the file as corrupt or stale, or
// returns an index that every read works on, that searches exactly as
// exhaustive scoring does, and that a new index can be built from.
func FuzzDecode(f *testing.F) {
	f.Add(goodFile(f))
	for _, docs := range [][]corpus.Document{nil, synthetic(12, 1), {doc("a", "cat dog", "", "dog bird"), doc("b", "fish")}} {
		ix, err := Build(docs, DefaultParams())
		if err != nil {
			f.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := ix.WriteTo(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		ix, err := Decode(fixChecksums(file))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrStale) {
				t.Fatalf("Decode error is neither corrupt nor stale: %v", err)
			}
			return
		}
		exercise(t, ix)
	})
}

// exercise reads everything an index holds, the ways footnote does.
func exercise(t *testing.T, ix *Index) {
	for i := range ix.Len() {
		p := ix.PassageAt(i)
		if got, ok := ix.Passage(p.ID); !ok || got != p {
			t.Fatalf("Passage(%q) = %+v, %v; PassageAt(%d) = %+v", p.ID, got, ok, i, p)
		}
		ix.Neighbour(p.ID, -1)
		ix.Neighbour(p.ID, 1)
	}
	n := 0
	for _, d := range ix.Docs() {
		if got, ok := ix.Doc(d.ID); !ok || got.ID != d.ID {
			t.Fatalf("Doc(%q) = %+v, %v", d.ID, got, ok)
		}
		if ps := ix.DocPassages(d.ID); len(ps) != d.Count {
			t.Fatalf("DocPassages(%q): %d passages, the table says %d", d.ID, len(ps), d.Count)
		}
		n += d.Count
	}
	if n != ix.Len() {
		t.Fatalf("documents hold %d passages of %d", n, ix.Len())
	}
	docs := ix.Documents()
	var q []QueryTerm
	for term := range min(ix.numTerms(), 4) {
		text := string(ix.termBytes(term))
		q = append(q, QueryTerm{Term: text, Weight: float64(1 + term%2)})
		ix.TermsWithPrefix(text[:min(len(text), 1)], 25)
		for _, d := range ix.Docs() {
			ix.InDoc(text, d.ID)
		}
	}
	got, want := ix.SearchTerms(q, 10, Options{}), bruteForce(ix, q, 10)
	if len(got) != len(want) {
		t.Fatalf("search %v: %d hits, exhaustive scoring %d", q, len(got), len(want))
	}
	for i := range got {
		if d := got[i].Score - want[i].score; d > 1e-6*max(1, want[i].score) || -d > 1e-6*max(1, want[i].score) {
			t.Fatalf("search %v rank %d: %v, exhaustive scoring %v", q, i, got[i].Score, want[i].score)
		}
	}
	ix.Search("cat dog w1", 5, Options{})
	ix.Fingerprint()
	if _, err := Build(docs, ix.Params()); err != nil {
		t.Fatalf("building from the file's documents: %v", err)
	}
}
