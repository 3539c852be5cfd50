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
