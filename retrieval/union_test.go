package retrieval

import (
	"fmt"
	"math"
	"testing"

	"github.com/footnote-bot/footnote/corpus"
)

func unionDocs() (shared, own []corpus.Document) {
	words := []string{"kettle", "boil", "water", "tea", "green", "descale", "vinegar", "filter", "lid", "cord", "base", "steam"}
	doc := func(id string, n, seed int) corpus.Document {
		d := corpus.Document{ID: id, Title: "Doc " + id}
		for p := 0; p < n; p++ {
			text := ""
			for w := 0; w < 5+(seed+p)%7; w++ {
				text += words[(seed*7+p*3+w*5)%len(words)] + " "
			}
			d.Passages = append(d.Passages, corpus.Passage{ID: fmt.Sprintf("%s#%d", id, p+1), DocID: id, Paragraph: p + 1, Text: text})
		}
		return d
	}
	for i := 0; i < 20; i++ {
		shared = append(shared, doc(fmt.Sprintf("s%d", i), 4, i))
	}
	for i := 0; i < 3; i++ {
		own = append(own, doc(fmt.Sprintf("g/o%d", i), 3, 100+i))
	}
	return shared, own
}

// TestUnionScoresAsOneIndex: with length normalisation off (b = 0, the one
// statistic the union keeps per index), a union of two indexes ranks and
// scores exactly as one index built over all their documents; with the
// default b the IDF is still the collection's.
func TestUnionScoresAsOneIndex(t *testing.T) {
	shared, own := unionDocs()
	p := DefaultParams()
	p.B = 0
	a, _ := Build(shared, p)
	b, _ := Build(own, p)
	all, _ := Build(append(append([]corpus.Document{}, shared...), own...), p)
	u := NewUnion(a, b)
	for _, q := range []string{"green tea", "descale kettle vinegar", "steam lid cord base", "water"} {
		qt := u.ParseQuery(q)
		got, want := u.SearchTerms(qt, 10, Options{}), all.SearchTerms(qt, 10, Options{})
		if len(got) != len(want) {
			t.Fatalf("%q: %d hits, want %d", q, len(got), len(want))
		}
		for i := range got {
			if math.Abs(got[i].Score-want[i].Score) > 1e-9*want[i].Score {
				t.Errorf("%q #%d: %s %.9f, one index: %s %.9f", q, i, got[i].Passage.ID, got[i].Score, want[i].Passage.ID, want[i].Score)
			}
		}
		// Rescoring the hits gives the same scores.
		re := u.Rescore(qt, got)
		for i := range re {
			if math.Abs(re[i].Score-got[i].Score) > 1e-9*got[i].Score {
				t.Errorf("%q: rescored %s %.9f, searched %.9f", q, re[i].Passage.ID, re[i].Score, got[i].Score)
			}
		}
	}
	for _, term := range []string{"kettl", "tea", "absent"} {
		gu, oku := u.IDF(term)
		ga, oka := all.IDF(term)
		if math.Abs(gu-ga) > 1e-12 || oku != oka {
			t.Errorf("IDF(%q) = %v %v, one index %v %v", term, gu, oku, ga, oka)
		}
	}
	if u.Len() != all.Len() || len(u.Docs()) != len(all.Docs()) {
		t.Errorf("Len %d docs %d, want %d %d", u.Len(), len(u.Docs()), all.Len(), len(all.Docs()))
	}
	// Passages and documents are found on either side, numbered as one.
	d, ok := u.Doc("g/o1")
	if !ok || u.PassageAt(d.First).ID != "g/o1#1" || len(u.DocPassages("g/o1")) != 3 {
		t.Errorf("own document: %+v %v", d, ok)
	}
	if p, ok := u.Neighbour("g/o1#1", 1); !ok || p.ID != "g/o1#2" {
		t.Errorf("neighbour: %v %v", p.ID, ok)
	}
	if _, ok := u.Neighbour("s19#4", 1); ok {
		t.Error("a neighbour across the two indexes")
	}
	// A filter to one document of the own index.
	if hits := u.SearchTerms(u.ParseQuery("kettle tea water"), 10, Options{Docs: []string{"g/o2"}}); len(hits) == 0 {
		t.Error("no hits in the own document")
	} else {
		for _, h := range hits {
			if h.Passage.DocID != "g/o2" {
				t.Errorf("filter leaked %s", h.Passage.ID)
			}
		}
	}
	// An empty side.
	if n := NewUnion(a, nil).Len(); n != a.Len() {
		t.Errorf("union with nothing: %d passages", n)
	}
}
