package wordlist

import (
	"sort"
	"testing"
)

func TestHas(t *testing.T) {
	tests := []struct {
		word string
		want bool
	}{
		{"histogram", true},
		{"security", true},
		{"soccer", true},
		{"colour", true}, // British
		{"color", true},  // American
		{"gonads", true}, // plurals are listed
		{"histgram", false},
		{"securty", false},
		{"defualt", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := Has(tt.word); got != tt.want {
			t.Errorf("Has(%q) = %v, want %v", tt.word, got, tt.want)
		}
	}
}

func TestSortedAndFolded(t *testing.T) {
	w := words()
	if len(w) < 70000 {
		t.Fatalf("%d words, want the whole list", len(w))
	}
	if !sort.StringsAreSorted(w) {
		t.Error("word list is not sorted: binary search would miss words")
	}
	for _, x := range w {
		for _, r := range x {
			if r < 'a' || r > 'z' {
				t.Fatalf("word %q is not folded lower-case ASCII", x)
			}
		}
	}
}

// TestHasMatchesTheList: the search over the embedded text finds every
// word of the list, and a word exactly when the list holds it (each
// word's prefixes and extensions, which sort beside it).
func TestHasMatchesTheList(t *testing.T) {
	w := words()
	in := make(map[string]bool, len(w))
	for _, x := range w {
		in[x] = true
	}
	for _, x := range w {
		if !Has(x) {
			t.Fatalf("Has(%q) = false for a word of the list", x)
		}
		for _, probe := range []string{x[:len(x)-1], x + "a", x + "zz", "a" + x, x + "\n" + x} {
			if got := Has(probe); got != in[probe] {
				t.Fatalf("Has(%q) = %v, the list says %v", probe, got, in[probe])
			}
		}
	}
}
