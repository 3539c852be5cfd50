package retrieval

import (
	"slices"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/corpus"
)

// vocabulary builds an index whose passages hold the given words.
func vocabulary(t *testing.T, words ...string) *Index {
	t.Helper()
	texts := append(slices.Clone(words), "histogram buckets")
	ix, err := Build([]corpus.Document{doc("d", texts...)}, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		bound int
		want  int
	}{
		{"histgram", "histogram", 2, 1},
		{"securty", "secur", 2, 2},
		{"teh", "the", 2, 1}, // adjacent swap counts one
		{"stnad", "stand", 2, 1},
		{"abc", "abc", 2, 0},
		{"kitten", "sitting", 5, 3},
		{"kitten", "sitting", 1, 2}, // beyond the bound: bound+1
		{"", "abc", 5, 3},
		{"naïve", "naive", 2, 1}, // runes, not bytes
	}
	for _, tt := range tests {
		if got := EditDistance(tt.a, tt.b, tt.bound); got != tt.want {
			t.Errorf("EditDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.bound, got, tt.want)
		}
	}
}

func TestCorrect(t *testing.T) {
	ix := vocabulary(t, "security model", "histogram quantiles", "retention period", "characterised by growth",
		"socket address", "come along", "standard stand", "default value")
	tests := []struct {
		word  string
		want  string // "" = no correction
		edits int
	}{
		{"histgram", "histogram", 1},
		{"securty", "secur", 2},
		{"defualt", "default", 1},
		{"stnad", "stand", 1},
		{"characterized", "characteris", 0}, // the British spelling the articles use
		{"histogram", "", 0},                // the index has it
		{"soccer", "", 0},                   // a real word the articles lack: not "socket"
		{"combs", "", 0},                    // not "come"
		{"abc", "", 0},                      // too short to correct
		{"zzzzzzzz", "", 0},                 // nothing close
		{"because", "", 0},                  // a stop word
	}
	for _, tt := range tests {
		c, ok := ix.Correct(tt.word)
		if tt.want == "" {
			if ok {
				t.Errorf("Correct(%q) = %+v, want no correction", tt.word, c)
			}
			continue
		}
		if !ok || c.Term != tt.want || c.Edits != tt.edits {
			t.Errorf("Correct(%q) = %+v, %v, want %q at %d edits", tt.word, c, ok, tt.want, tt.edits)
		}
	}
}

func TestDerived(t *testing.T) {
	ix := vocabulary(t, "retention of data", "growth of the city", "the scraper runs", "a reduction in cost",
		"metricset labels", "starting up", "the factor")
	tests := []struct {
		term string
		want []string
	}{
		{Stem("retained"), []string{"retent"}}, // Lovins' tain/tent
		{Stem("grow"), []string{"growth"}},     // -th
		{Stem("scrape"), []string{"scraper"}},  // -er on a short word
		{Stem("reduce"), []string{"reduct"}},   // duc/duct
		{Stem("metric"), nil},                  // "metricset" is a compound, not a derivation
		{Stem("fact"), nil},                    // "factor" is not derived from "fact"
		{"abc", nil},                           // too short
	}
	for _, tt := range tests {
		if got := ix.Derived(tt.term); !slices.Equal(got, tt.want) {
			t.Errorf("Derived(%q) = %q, want %q", tt.term, got, tt.want)
		}
	}
}

func TestSpellings(t *testing.T) {
	ix := vocabulary(t, "characterised by growth", "the colour of the sky", "center of town")
	tests := []struct {
		word string
		want []string
	}{
		{"characterized", []string{Stem("characterised")}},
		{"color", []string{Stem("colour")}},
		{"centre", []string{Stem("center")}},
		{"growth", nil},
	}
	for _, tt := range tests {
		if got := ix.Spellings(tt.word); !slices.Equal(got, tt.want) {
			t.Errorf("Spellings(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestInDoc(t *testing.T) {
	ix, err := Build([]corpus.Document{doc("a", "apples grow", "pears"), doc("b", "plums"), doc("c", "apples again")}, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		term, doc string
		want      bool
	}{
		{"appl", "a", true},
		{"appl", "b", false},
		{"appl", "c", true},
		{"plum", "b", true},
		{"plum", "a", false},
		{"pear", "nosuchdoc", false},
		{"missing", "a", false},
	}
	for _, tt := range tests {
		if got := ix.InDoc(tt.term, tt.doc); got != tt.want {
			t.Errorf("InDoc(%q, %q) = %v, want %v", tt.term, tt.doc, got, tt.want)
		}
	}
}

func TestNeighbour(t *testing.T) {
	ix, err := Build([]corpus.Document{doc("a", "one", "two"), doc("b", "three")}, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id    string
		delta int
		want  string // "" = none
	}{
		{"a#1", 1, "two"},
		{"a#2", -1, "one"},
		{"a#2", 1, ""}, // the next passage is another document's
		{"b#1", -1, ""},
		{"b#1", 1, ""},
		{"nosuch", 1, ""},
	}
	for _, tt := range tests {
		p, ok := ix.Neighbour(tt.id, tt.delta)
		if got := p.Text; ok != (tt.want != "") || got != tt.want {
			t.Errorf("Neighbour(%q, %d) = %q, %v; want %q", tt.id, tt.delta, got, ok, tt.want)
		}
	}
}

// TestIrregularVerbs: the forms of an irregular verb are variants of one
// another (Porter2 joins "keeps" and "keep" but not "kept"), both ways, and
// an unknown form is corrected to a known one; forms that are also
// everyday nouns ("found", "left") stay literal.
func TestIrregularVerbs(t *testing.T) {
	ix := vocabulary(t, "the server keeps samples", "it was written in Go", "the founder left", "she found a bug",
		"they chose it", "born in 1990", "it showed a graph")
	for _, c := range []struct {
		term string
		want string // a variant Derived must offer
	}{
		{"kept", "keep"},
		{"wrote", "written"},
		{"write", "written"},
		{"choos", "chose"}, // "choose" as the index stems it
	} {
		if got := ix.Derived(c.term); !slices.Contains(got, c.want) {
			t.Errorf("Derived(%q) = %v, want %q among them", c.term, got, c.want)
		}
	}
	for _, c := range []struct{ term, not string }{
		{"find", "found"}, {"leav", "left"}, {"leave", "left"},
		{"shown", "show"}, // "showed" stems to "show", an ambiguous form
		{"bear", "born"},  // "borne" stems to "born", another word
	} {
		if got := ix.Derived(c.term); slices.Contains(got, c.not) {
			t.Errorf("Derived(%q) = %v: %q conflated", c.term, got, c.not)
		}
	}
	if c, ok := ix.Correct("kept"); !ok || c.Term != "keep" {
		t.Errorf("Correct(kept) = %+v, %v; want the articles' keep", c, ok)
	}
	for _, f := range irregularVerbs {
		forms := strings.Fields(f)
		if len(forms) != 3 {
			t.Errorf("irregular verb %q: want base, past and past participle", f)
		}
	}
}
